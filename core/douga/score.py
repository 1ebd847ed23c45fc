"""Douga quality: pixel accuracy, per-class IoU, line precision/recall (strict and within 2 px) and the
edges-vs-areas confusion of Kugler (2020, Table 5.5). Scores accumulate over a suite (sum of counts)."""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from . import schema as S

TOLERANCE = 2.0  # px for the tolerant line precision / recall


@dataclass
class DougaScore:
    confusion: np.ndarray = field(default_factory=lambda: np.zeros((S.N_CLASSES, S.N_CLASSES), np.int64))
    tolerant_hits_pred: int = 0   # predicted line pixels within TOLERANCE of a true line
    tolerant_hits_true: int = 0   # true line pixels within TOLERANCE of a predicted line
    pred_line: int = 0
    true_line: int = 0

    def add(self, pred: np.ndarray, truth: np.ndarray) -> DougaScore:
        """Accumulate one frame (class indices HxW each)."""
        pred = np.asarray(pred, np.intp)
        truth = np.asarray(truth, np.intp)
        if pred.shape != truth.shape:
            raise ValueError(f"prediction {pred.shape} and truth {truth.shape} differ in size")
        self.confusion += np.bincount((truth * S.N_CLASSES + pred).ravel(),
                                      minlength=S.N_CLASSES ** 2).reshape(S.N_CLASSES, S.N_CLASSES)
        pl, tl = S.IS_LINE[pred], S.IS_LINE[truth]
        self.pred_line += int(pl.sum())
        self.true_line += int(tl.sum())
        self.tolerant_hits_pred += int((distance_to(tl) <= TOLERANCE)[pl].sum())
        self.tolerant_hits_true += int((distance_to(pl) <= TOLERANCE)[tl].sum())
        return self

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion)) / max(int(self.confusion.sum()), 1)

    def iou(self) -> dict[int, float]:
        """IoU per class present in the truth or the prediction."""
        tp = np.diag(self.confusion).astype(np.float64)
        union = self.confusion.sum(0) + self.confusion.sum(1) - tp
        return {k: float(tp[k] / union[k]) for k in range(S.N_CLASSES) if union[k] > 0}

    @property
    def mean_iou(self) -> float:
        values = list(self.iou().values())
        return float(np.mean(values)) if values else 0.0

    def edges_vs_areas(self) -> dict[str, float]:
        """Kugler's Table 5.5: every line class is an edge, every fill class an area (pixel-exact)."""
        line = S.IS_LINE
        c = self.confusion
        tp = int(c[np.ix_(line, line)].sum())
        fn = int(c[np.ix_(line, ~line)].sum())
        fp = int(c[np.ix_(~line, line)].sum())
        tn = int(c[np.ix_(~line, ~line)].sum())
        return {"edge_edge": tp, "edge_area": fn, "area_edge": fp, "area_area": tn,
                "edge_recall": tp / max(tp + fn, 1), "edge_precision": tp / max(tp + fp, 1)}

    @property
    def line_recall(self) -> float:
        return self.tolerant_hits_true / max(self.true_line, 1)

    @property
    def line_precision(self) -> float:
        return self.tolerant_hits_pred / max(self.pred_line, 1)

    def summary(self) -> dict[str, object]:
        eva = self.edges_vs_areas()
        return {"accuracy": self.accuracy, "mean_iou": self.mean_iou,
                "iou": {S.CLASSES[k].name: v for k, v in self.iou().items()},
                "line_recall_strict": eva["edge_recall"], "line_precision_strict": eva["edge_precision"],
                "line_recall_2px": self.line_recall, "line_precision_2px": self.line_precision,
                "edges_vs_areas": eva}


def distance_to(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pixel to the nearest pixel of ``mask`` (inf-like when it is empty)."""
    if not mask.any():
        return np.full(mask.shape, np.float32(1e9))
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def score(pred: np.ndarray, truth: np.ndarray) -> DougaScore:
    """Scores of one frame."""
    return DougaScore().add(pred, truth)
