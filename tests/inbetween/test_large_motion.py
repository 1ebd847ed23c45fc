"""Large motion in flow mode: a forearm that swings 90° about its elbow and a drawing zoomed 1.5× move
whole, on their arcs (hinge.py) and at their scale (align.py), instead of breaking into dust."""
import cv2
import numpy as np

from nakawari.inbetween import align, fuse, hinge, hold, rigid
from nakawari.inbetween.pair import KeyBank, PairInbetweener
from nakawari.inbetween.settings import InbetweenSettings
from nakawari.metrics import chamfer_distance

SIZE = 480
LINE = 3
SHOULDER = np.array([200.0, 200.0])
ELBOW = SHOULDER + np.array([-90.0, 0.0])   # upper arm held out to the left
FOREARM = 100.0
HALF = 13.0                                  # half the arm's thickness


def _paper() -> np.ndarray:
    return np.ones((SIZE, SIZE), np.uint8) * 255


def _to_rgba(gray: np.ndarray) -> np.ndarray:
    g = gray.astype(np.float32) / 255.0
    return np.dstack([g, g, g, np.ones_like(g)])


def _arm_outline(angle: float) -> np.ndarray:
    """One closed outline of torso-side upper arm and forearm (no line across the elbow: the forearm is
    open into the upper arm, so it is no closed area of its own), the forearm at ``angle`` (radians)."""
    u = (ELBOW - SHOULDER) / np.linalg.norm(ELBOW - SHOULDER)
    f = np.array([np.cos(angle), np.sin(angle)])
    nu, nf = np.array([-u[1], u[0]]), np.array([-f[1], f[0]])
    hand = ELBOW + FOREARM * f
    cap = [hand + HALF * (np.cos(a) * nf + np.sin(a) * f) for a in np.linspace(0, np.pi, 12)]
    pts = [SHOULDER + HALF * nu, ELBOW + HALF * nu, ELBOW + HALF * nf, *cap,
           ELBOW - HALF * nf, ELBOW - HALF * nu, SHOULDER - HALF * nu]
    return np.array(pts)


def _figure(angle: float) -> np.ndarray:
    img = _paper()
    cv2.rectangle(img, (200, 160), (300, 380), 0, LINE, cv2.LINE_AA)          # torso
    cv2.circle(img, (250, 110), 38, 0, LINE, cv2.LINE_AA)                     # head
    cv2.polylines(img, [np.round(_arm_outline(angle)).astype(np.int32)], False, 0, LINE, cv2.LINE_AA)
    return _to_rgba(img)


def _forearm_only(angle: float) -> np.ndarray:
    """Ink mask of the forearm's far half (clear of the elbow and the upper arm)."""
    img = np.zeros((SIZE, SIZE), np.uint8)
    f = np.array([np.cos(angle), np.sin(angle)])
    cv2.circle(img, tuple(np.round(ELBOW + FOREARM * f).astype(int)), int(HALF + 4), 255, -1)
    cv2.line(img, tuple(np.round(ELBOW + 0.45 * FOREARM * f).astype(int)),
             tuple(np.round(ELBOW + FOREARM * f).astype(int)), 255, int(2 * HALF + 8))
    return img > 0


def _pieces(frame: np.ndarray) -> tuple[int, int]:
    """Connected ink pieces of a frame and how many of them are specks (under 4 px²)."""
    ink = (frame[..., :3].mean(axis=2) < 0.5).astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return int(n - 1), int((areas < 4).sum())


def _ink_centroid(frame: np.ndarray, where: np.ndarray) -> complex:
    ys, xs = np.nonzero((frame[..., :3].mean(axis=2) < 0.5) & where)
    assert ys.size > 50, "no forearm drawn near where it should be"
    return complex(xs.mean(), ys.mean())


def test_forearm_swinging_90_degrees_moves_whole_on_its_arc():
    a0, a1 = np.radians(-150.0), np.radians(-240.0)   # up-left to down-left: a 90° swing about the elbow
    key_a, key_b = _figure(a0), _figure(a1)
    mid = PairInbetweener(key_a, key_b, device="cpu").render(0.5)
    # Whole: no more pieces than the keys have (plus a little slack), no dust.
    pieces, specks = _pieces(mid)
    assert pieces <= max(_pieces(key_a)[0], _pieces(key_b)[0]) + 2
    assert specks == 0
    # On the arc: the forearm's far half is where the 45° pose has it, not at the chord's middle.
    truth = _figure(0.5 * (a0 + a1))
    zone = _forearm_only(0.5 * (a0 + a1)) | _forearm_only(a0) | _forearm_only(a1)
    got = _ink_centroid(mid, zone)
    want = _ink_centroid(truth, _forearm_only(0.5 * (a0 + a1)))
    chord = 0.5 * (_ink_centroid(key_a, _forearm_only(a0)) + _ink_centroid(key_b, _forearm_only(a1)))
    assert abs(want - chord) > 15.0   # the test can tell the two apart
    assert abs(got - want) < 5.0


def _shapes(scale: float, centre: tuple[float, float], shift: tuple[float, float]) -> np.ndarray:
    """A small drawing (a face-like set of closed and open strokes) scaled about ``centre`` and shifted;
    strokes keep their width, as an artist draws a closer view."""
    img = _paper()
    cx, cy = centre

    def p(x: float, y: float) -> tuple[int, int]:
        return int(round(cx + scale * (x - cx) + shift[0])), int(round(cy + scale * (y - cy) + shift[1]))

    def r(v: float) -> int:
        return int(round(scale * v))

    cv2.circle(img, p(200, 200), r(70), 0, LINE, cv2.LINE_AA)
    cv2.circle(img, p(175, 185), r(12), 0, LINE, cv2.LINE_AA)
    cv2.circle(img, p(225, 185), r(12), 0, LINE, cv2.LINE_AA)
    cv2.ellipse(img, p(200, 225), (r(30), r(14)), 0, 0, 180, 0, LINE, cv2.LINE_AA)
    cv2.rectangle(img, p(160, 275), p(240, 330), 0, LINE, cv2.LINE_AA)
    cv2.line(img, p(130, 300), p(160, 290), 0, LINE, cv2.LINE_AA)
    cv2.line(img, p(240, 290), p(275, 305), 0, LINE, cv2.LINE_AA)
    return _to_rgba(img)


def test_zoom_stays_a_zoom_and_whole():
    centre, shift = (200.0, 250.0), (40.0, -20.0)
    key_a = _shapes(1.0, centre, (0.0, 0.0))
    key_b = _shapes(1.5, centre, shift)
    bank = KeyBank.of([key_a, key_b], [0.0, 1.0])
    g = bank.alignment(0, 1)
    assert g is not None and abs(abs(g.a) - 1.5) < 0.05          # the zoom is found
    inbetweener = PairInbetweener(key_a, key_b, device="cpu", _bank=bank)
    zoom = rigid.Similarity(1.5 + 0j, complex(*shift) + complex(*centre) * (1 - 1.5))
    keys_pieces = max(_pieces(key_a)[0], _pieces(key_b)[0])
    for t in (0.25, 0.5, 0.75):
        frame = inbetweener.render(t)
        pieces, specks = _pieces(frame)
        assert pieces <= keys_pieces + 2 and specks == 0
        # Part way in log-scale about the zoom's fixed point: the similarity's power t. (Flow on the keys
        # as drawn measured 0.41 / 0.62 / 0.53 px here; the zoom followed, under 0.1.)
        part = zoom.power(t)
        fixed = part.b / (1 - part.a)
        truth = _shapes(abs(part.a), (fixed.real, fixed.imag), (0.0, 0.0))
        assert chamfer_distance(frame, truth) < 0.3


def test_alignment_stays_out_of_small_motion():
    key_a = _shapes(1.0, (200.0, 250.0), (0.0, 0.0))
    key_b = _shapes(1.0, (200.0, 250.0), (4.0, 3.0))
    bank = KeyBank.of([key_a, key_b], [0.0, 1.0])
    assert bank.alignment(0, 1) is None


def test_turn_search_finds_a_swing_flow_lost():
    # The lost forearm alone, with its joint: turned back onto the other key's forearm by the search.
    ink_b = np.zeros((SIZE, SIZE), np.float32)
    ink_a = np.zeros((SIZE, SIZE), np.float32)
    for ink, ang in ((ink_a, -1.0), (ink_b, 0.6)):
        end = ELBOW + FOREARM * np.array([np.cos(ang), np.sin(ang)])
        cv2.line(ink, tuple(ELBOW.astype(int)), tuple(np.round(end).astype(int)), 1.0, 2)
    part = hinge.Part(ink_a > 0.15, complex(*ELBOW))
    dist, near = rigid.nearest_ink(ink_b > 0.15)
    tr = hinge.search_turn(part, rigid.Similarity(1.0 + 0j, 0j), dist, near, hinge.HingeSettings())
    assert tr is not None
    assert abs(np.angle(tr.a) - 1.6) < 0.05
    assert abs(tr.apply(np.array([complex(*ELBOW)]))[0] - complex(*ELBOW)) < 2.0


def test_settings_turn_the_large_motion_off():
    key_a = _shapes(1.0, (200.0, 250.0), (0.0, 0.0))
    key_b = _shapes(1.5, (200.0, 250.0), (40.0, -20.0))
    bank = KeyBank.of([key_a, key_b], [0.0, 1.0], settings=InbetweenSettings(align=align.AlignSettings(use=False)))
    assert bank.alignment(0, 1) is None


def test_disagreeing_stretch_goes_to_one_key_as_a_whole():
    # Two warped copies of a wavy stroke 4 px apart (two drawings of a part never coincide); b's was torn
    # into dashes by its motion. Fusion picks per pixel by reliability, so reliabilities that flip along
    # the stretch make dust; the stretch must be given to one copy all along.
    h, w = 120, 200
    xs = np.arange(20, 180)
    ys = 60 + 6 * np.sin(xs / 9.0)
    ink_a = np.zeros((h, w), np.float32)
    ink_b = np.zeros((h, w), np.float32)
    cv2.polylines(ink_a, [np.stack([xs, ys], 1).round().astype(np.int32)], False, 1.0, 2, cv2.LINE_AA)
    for k in range(0, xs.size - 6, 10):   # dashes
        seg = np.stack([xs[k:k + 6], ys[k:k + 6] + 4], 1).round().astype(np.int32)
        cv2.polylines(ink_b, [seg], False, 1.0, 2, cv2.LINE_AA)
    drawn = (ink_a > 0.5) | (ink_b > 0.5)
    enabled = hold.HoldSettings(use=True)   # off by default (hold.py)
    stripes = (np.arange(w)[None, :] // 15 % 2).astype(np.float32) * np.ones((h, 1), np.float32)
    # Equally reliable on the whole: the copy in fewer pieces (a), at any t.
    for t in (0.5, 0.7):
        va, vb = hold.one_side(stripes, 1.0 - stripes, ink_a, ink_b, t, enabled)
        assert va[drawn].min() == 1.0 and vb[drawn].max() == 0.0
    wa, wb = fuse.blend_weights(0.5, *hold.one_side(stripes, 1.0 - stripes, ink_a, ink_b, 0.5, enabled))
    assert np.all(wa[drawn] > wb[drawn])
    # The copy whose motion is the more reliable over the stretch wins it, torn or not.
    va, vb = hold.one_side(stripes * 0.3, np.ones((h, w), np.float32), ink_a, ink_b, 0.5, enabled)
    assert va[drawn].max() == 0.0 and vb[drawn].min() == 1.0
    # Copies that agree are left to fusion.
    same_a, same_b = hold.one_side(stripes, 1.0 - stripes, ink_a, ink_a, 0.5, enabled)
    assert np.array_equal(same_a, stripes) and np.array_equal(same_b, 1.0 - stripes)


def test_snap_pulls_a_moved_stroke_onto_the_other_keys_stroke():
    # A rigid motion that lands a stroke 2 px beside the other key's: with the pull on (off by default),
    # the stroke ends on it at t = 1 and half way between at t = 0.5.
    h, w = 80, 120
    ink_a = np.zeros((h, w), np.float32)
    ink_b = np.zeros((h, w), np.float32)
    cv2.line(ink_a, (20, 30), (100, 30), 1.0, 1)
    cv2.line(ink_b, (20, 42), (100, 42), 1.0, 1)
    shift = rigid.Similarity(1.0 + 0j, 10j)                    # lands at y = 40, 2 px short
    mask_b = ink_b > 0.15
    dist_b = cv2.distanceTransform((~mask_b).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    near_b = rigid.stroke_centres(ink_b, rigid.nearest_ink(mask_b)[1])
    flow = np.zeros((h, w, 2), np.float32)
    valid = np.ones((h, w), np.float32)
    on = rigid.RigidSettings(snap_px=4.0)
    moved = rigid.assign([shift], flow, valid, ink_a, dist_b, near_dst=near_b, settings=on)
    assert np.all(moved.label[30, 30:90] == 0)
    assert abs(moved.displacement(1.0)[30, 60, 1] - 12.0) < 0.3
    assert abs(moved.displacement(0.5)[30, 60, 1] - 6.0) < 0.3
    plain = rigid.assign([shift], flow, valid, ink_a, dist_b, near_dst=near_b)
    assert abs(plain.displacement(1.0)[30, 60, 1] - 10.0) < 1e-4
