"""Learned inbetweening: a compact time-conditioned network trained on core/synth data.

  prepare.py       keys → working-size representations, flow mode prior, full-size key tensors (numpy)
  runtime.py       manifest + sha256 check, the onnxruntime session factory, `--mode learned` (no torch)
  network.py       the network and the exported full-frame graph (torch)
  data.py          synthetic training samples (numpy)
  train.py         `nakawari train inbetween` (torch)
  export.py        `nakawari train export`: ONNX + weights + manifest (torch, onnx)
  torch_runner.py  the torch backend: CUDA fp16, 4K in row bands (torch)

Only runtime.py and what it imports load without torch.
"""
