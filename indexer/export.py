"""Export a sentence-transformers model once, for the ONNX Runtime embedder (`indexer/onnx_embed.py`).

Torch is needed here, when an index is built, and nowhere on the query path:

1. load the model with sentence-transformers and switch its transformer to eager attention (the
   classic pattern that ONNX Runtime's optimizer recognises and fuses);
2. `torch.onnx.export` of the transformer through a thin wrapper whose `forward` passes keyword
   arguments (transformers 5 needs it), with dynamic batch and sequence axes and an example input
   that holds padding, so the attention mask is part of the traced graph;
3. fuse attention, layer norms and GELU with `onnxruntime.transformers.optimizer` (fp32);
4. int8: `onnxruntime.quantization.quantize_dynamic`, signed 8-bit weights per channel;
5. save the weights as external data (`model.onnx.data`), which ONNX Runtime maps instead of
   copying: a process that loads the fp32 encoder peaks ~80 MB lower and loads it ~4x faster;
6. check the export against sentence-transformers on probe texts and refuse it below
   `MIN_PROBE_COSINE` (a broken export must never embed a library);
7. write the files and `encoder.json` into a folder aside, then rename it into place, so an
   interrupted export never looks complete.

Exports are cached by fingerprint (`cached_export`); the index build keeps them under
`<index>/cache/encoders/<fingerprint>/` and copies the one it used into the build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed import model_fingerprint, model_source
from indexer.errors import ModelLoadError
from indexer.onnx_embed import ENCODER_FILE, MODEL_DATA_FILE, MODEL_FILE, TOKENIZER_FILE, EncoderConfig, OnnxEmbedder
from indexer.settings import Precision

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the recipe below changes what is written
OPSET = 17
MIN_PROBE_COSINE = 0.98
STALE_WORK_SECONDS = 3600  # an unfinished export folder this old was left by a killed process
PROBES = (
    "our month-end close takes twelve days",
    "Auditors want evidence for every reconciliation, and the controller signs off each account.",
    "Is customer data encrypted at rest and in transit? Which certifications (SOC 2 Type II, ISO 27001) do you hold?",
    "ROI guide\nPayback period > Assumptions\nA mid-sized finance team of 12 spends 30% of the month reconciling "
    "bank, card and intercompany accounts in spreadsheets; automation returns most of that time.",
)
_INSTALL_HINT = (
    "Install the indexing extra (pip install 'buyer-content-recommender[index]'; make install "
    "does it), or use RECOMMENDER_RUNTIME=torch."
)


def encoder_fingerprint(model: Path | None, precision: Precision) -> str:
    """Names an export before it is made: the model's fingerprint, the precision and this recipe."""
    path, _ = model_source(model)
    key = f"{model_fingerprint(path)}|{precision}|export-{EXPORT_VERSION}|opset-{OPSET}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def cached_export(model: Path | None, cache: Path, *, precision: Precision) -> Path:
    """The folder of the export of `model` at `precision` under `cache`, exported now when missing."""
    folder = cache / encoder_fingerprint(model, precision)
    if not (folder / ENCODER_FILE).is_file():
        _remove_stale_work(folder)
        export_encoder(model, folder, precision=precision)
    return folder


def _remove_stale_work(folder: Path) -> None:
    for work in folder.parent.glob(f".{folder.name}.*"):
        if time.time() - work.stat().st_mtime > STALE_WORK_SECONDS:
            shutil.rmtree(work, ignore_errors=True)


def export_encoder(model: Path | None, folder: Path, *, precision: Precision) -> Path:
    """Export `model` (the bundled all-MiniLM-L6-v2 when None) into `folder`, checked and complete."""
    path, name = model_source(model)
    fingerprint = encoder_fingerprint(model, precision)
    st = _load_sentence_transformer(path)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    work.chmod(0o755)
    try:
        _export_transformer(st, work / "exported.onnx")
        _optimise(work / "exported.onnx", work / "fp32.onnx", st)
        if precision == "int8":
            _quantise(work / "fp32.onnx", work / "int8.onnx")
        _save_with_external_data(work / f"{precision}.onnx", work / MODEL_FILE)
        for leftover in ("exported.onnx", "fp32.onnx", "int8.onnx"):
            (work / leftover).unlink(missing_ok=True)
        _save_tokenizer(st, work)
        config = _config(st, path, name, precision, fingerprint)
        _write_config(work, _checked(config, st, work))
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("exported %s (%s) to %s", name or path.name, precision, folder)
    return folder


def _load_sentence_transformer(path: Path) -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelLoadError(
            "exporting the encoder to ONNX needs torch and sentence-transformers, which are not installed",
            hint=_INSTALL_HINT,
        ) from exc
    try:
        st = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as exc:  # the library raises many kinds; all mean the same to a user
        raise ModelLoadError(
            f"cannot load the model in {path}: {exc}",
            hint="Check that the folder holds a complete sentence-transformers model.",
        ) from exc
    modules = [type(m).__name__ for m in st]
    if (
        modules[:2] != ["Transformer", "Pooling"]
        or set(modules[2:]) - {"Normalize"}
        or getattr(st[1], "pooling_mode", "mean") != "mean"
    ):
        raise ModelLoadError(
            f"the model in {path} ({' -> '.join(modules)}) is not a transformer with mean pooling, the only "
            "kind exported to ONNX",
            hint="Use RECOMMENDER_RUNTIME=torch for this model.",
        )
    return st


class _Wrapper:
    """Built lazily: a torch.nn.Module subclass cannot be defined before torch is imported."""

    @staticmethod
    def of(transformer: Any, inputs: tuple[str, ...]) -> Any:
        import torch

        class KeywordForward(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
                return self.transformer(**dict(zip(inputs, tensors))).last_hidden_state

        return KeywordForward().eval()


def _inputs(transformer: Any) -> tuple[str, ...]:
    import inspect

    accepted = inspect.signature(transformer.forward).parameters
    return tuple(n for n in ("input_ids", "attention_mask", "token_type_ids") if n in accepted)


def _export_transformer(st: Any, target: Path) -> None:
    import torch

    transformer = st[0].auto_model
    transformer.set_attn_implementation("eager")
    inputs = _inputs(transformer)
    ids = torch.randint(1000, 2000, (2, 16), dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # padding in the example, so the attention mask is traced, not skipped
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}
    axes = {n: {0: "batch", 1: "sequence"} for n in (*inputs, "token_vectors")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            _Wrapper.of(transformer, inputs),
            tuple(example[n] for n in inputs),
            str(target),
            input_names=list(inputs),
            output_names=["token_vectors"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def _optimise(source: Path, target: Path, st: Any) -> None:
    from onnxruntime.transformers import optimizer

    config = st[0].auto_model.config
    optimised = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(getattr(config, "num_attention_heads", 0) or 0),
        hidden_size=int(getattr(config, "hidden_size", 0) or 0),
    )
    log.info("fused operators: %s", {k: v for k, v in optimised.get_fused_operator_statistics().items() if v})
    optimised.save_model_to_file(str(target))


def _quantise(source: Path, target: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    root.disabled, was = (
        True,
        root.disabled,
    )  # the quantiser logs a tip about pre-processing on the root logger; it does not apply here
    try:
        quantize_dynamic(
            source,
            target,
            per_channel=True,
            weight_type=QuantType.QInt8,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
    finally:
        root.disabled = was


def _save_with_external_data(source: Path, target: Path) -> None:
    import onnx

    model = onnx.load(str(source))
    onnx.save_model(
        model,
        str(target),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=MODEL_DATA_FILE,
        size_threshold=1024,
    )
    (target.parent / MODEL_DATA_FILE).chmod(0o644)


def _save_tokenizer(st: Any, work: Path) -> None:
    saved = work / "tokenizer"
    st.tokenizer.save_pretrained(str(saved))
    if not (saved / TOKENIZER_FILE).is_file():
        raise ModelLoadError(
            "the model's tokenizer has no fast (tokenizers) version to export",
            hint="Use RECOMMENDER_RUNTIME=torch for this model.",
        )
    os.replace(saved / TOKENIZER_FILE, work / TOKENIZER_FILE)
    shutil.rmtree(saved)


def _config(st: Any, path: Path, name: str | None, precision: Precision, fingerprint: str) -> EncoderConfig:
    import onnxruntime
    import sentence_transformers
    import torch
    import transformers

    return EncoderConfig(
        model_id=f"{name or path.name}@{model_fingerprint(path)}",
        precision=precision,
        fingerprint=fingerprint,
        dimension=int((getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension)() or 0),
        max_tokens=int(st.max_seq_length or 256),
        lowercase=bool(getattr(st[0], "do_lower_case", False)),
        inputs=_inputs(st[0].auto_model),
        built_with={
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "sentence-transformers": sentence_transformers.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opset": str(OPSET),
            "export": str(EXPORT_VERSION),
        },
    )


def _checked(config: EncoderConfig, st: Any, work: Path) -> EncoderConfig:
    _write_config(work, config)
    exported = OnnxEmbedder(work).embed(list(PROBES))
    reference = np.asarray(
        st.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False),
        dtype=np.float32,
    )
    cosine = float(np.mean(np.sum(exported * reference, axis=1)))
    if cosine < MIN_PROBE_COSINE:
        raise ModelLoadError(
            f"the ONNX export of {config.model_id} ({config.precision}) disagrees with the model (mean "
            f"cosine {cosine:.4f} on probe texts)",
            hint="Use RECOMMENDER_PRECISION=fp32 or RECOMMENDER_RUNTIME=torch for this model.",
        )
    return config.model_copy(update={"probe_cosine": round(cosine, 5)})


def _write_config(work: Path, config: EncoderConfig) -> None:
    (work / ENCODER_FILE).write_text(json.dumps(config.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
