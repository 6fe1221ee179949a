"""The pretrained musicnn front end (Pons & Serra, ISC licence), frozen, as a TensorFlow function.

The `musicnn` package from PyPI (installed by `bash dev.sh` with `pip install --no-deps musicnn==0.1.0`)
ships TF1 checkpoints trained on the Million Song Dataset's tags. Only its checkpoint files are used,
not its Python code (which needs TF1 layers that Keras 3 dropped): the saved graph is cut at the
temporal pooling layer, its variables are frozen into constants and the result is wrapped as a
`tf.function`, so eager TensorFlow and Keras elsewhere are unaffected. The graph's training flag is
bound to a constant False, so TensorFlow's graph optimiser drops the training branch of every batch
normalisation (its `cond`s) and folds the inference branch: 1.5× faster than feeding the flag.

`frontend_features(patches)`: patches [shape=(n, PATCH_FRAMES, N_MELS), float32] of `audio.mel.model_input`
-> [shape=(n, FEATURE_DIM), float32], the mean- and max-pooled activations over each patch (3 s).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import numpy as np

from errors import ArtifactMissingError

CHECKPOINT = "MSD_musicnn"
FEATURE_DIM = 1506  # 'model/concat_2': mean- and max-pool over time of the 753 front-end + mid-end channels
_INPUT, _TRAINING, _OUTPUT = "model/Placeholder:0", "model/Placeholder_2:0", "model/concat_2:0"
INSTALL_HINT = "install it with `pip install --no-deps musicnn==0.1.0` (bash dev.sh does this)"


def checkpoint_dir(name: str = CHECKPOINT) -> Path:
    """The folder of musicnn's `name` checkpoint inside the installed package (its code is not imported)."""
    spec = importlib.util.find_spec("musicnn")
    folder = Path(spec.submodule_search_locations[0]) / name if spec and spec.submodule_search_locations else None
    if folder is None or not (folder / ".meta").is_file() or not (folder / ".index").is_file():
        raise ArtifactMissingError(f"The pretrained sound front end ({name} from the musicnn package) is missing; "
                                   f"{INSTALL_HINT}.")
    return folder


def _needed_nodes(graph_def, output: str) -> list:
    """The nodes `output` depends on, in the graph's order (the training ops are left out)."""
    by_name = {node.name: node for node in graph_def.node}
    needed, stack = set(), [output]
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(i.lstrip("^").split(":")[0] for i in by_name[name].input)
    return [node for node in graph_def.node if node.name in needed]


def _frozen_graph_def(folder: Path):
    """The checkpoint's graph cut at the pooled features, variables replaced by their saved values."""
    import tensorflow as tf
    from tensorflow.core.framework import graph_pb2
    from tensorflow.core.protobuf import meta_graph_pb2

    meta = meta_graph_pb2.MetaGraphDef()
    meta.ParseFromString((folder / ".meta").read_bytes())
    reader = tf.compat.v1.train.NewCheckpointReader(str(folder) + "/")
    frozen = graph_pb2.GraphDef()
    for node in _needed_nodes(meta.graph_def, _OUTPUT.split(":")[0]):
        out = frozen.node.add()
        if node.op in ("VariableV2", "Variable"):
            out.name, out.op = node.name, "Const"
            out.attr["dtype"].type = node.attr["dtype"].type
            out.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(reader.get_tensor(node.name)))
        else:
            out.CopyFrom(node)
            out.attr.pop("_output_shapes", None)
            if out.op == "Identity":
                out.attr.pop("_class", None)
    return frozen


@functools.lru_cache(maxsize=1)
def load_frontend():
    """A concrete function: patches [shape=(n, PATCH_FRAMES, N_MELS), float32] -> [shape=(n, FEATURE_DIM)]."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    graph_def = _frozen_graph_def(checkpoint_dir())

    def imported():
        tf.compat.v1.import_graph_def(graph_def, name="", input_map={_TRAINING: tf.constant(False)})

    wrapped = tf.compat.v1.wrap_function(imported, [])
    graph = wrapped.graph
    return wrapped.prune([graph.get_tensor_by_name(_INPUT)], graph.get_tensor_by_name(_OUTPUT))


def frontend_features(patches: np.ndarray, *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
    """Pooled musicnn features of model-input patches [shape=(n, PATCH_FRAMES, N_MELS)] -> [shape=(n, FEATURE_DIM)]."""
    import tensorflow as tf
    from tqdm import tqdm

    run = load_frontend()
    patches = np.asarray(patches, dtype=np.float32)
    if len(patches) == 0:
        return np.zeros((0, FEATURE_DIM), np.float32)
    out = [run(tf.constant(patches[i : i + batch_size])).numpy().reshape(-1, FEATURE_DIM)
           for i in tqdm(range(0, len(patches), batch_size), desc="sound front end", unit="batch",
                         disable=not show_progress)]
    return np.concatenate(out).astype(np.float32, copy=False)
