"""`distill`: knowledge distillation into a smaller zoo model (Hinton et al. 2015).

The teacher is the stage's model (the recipe's trained reference, or what the chain made of
it), or a zoo model named in `teacher` (trained with the recipe's training config, through
the training cache). The student, `student: {name, params}`, is built fresh (seeded) and
trained for `epochs` (default: the reference's) at `lr` (default: the reference's) on
    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * CE
where CE is the reference's (class-weighted) cross-entropy; the best validation epoch is
kept, its BatchNorm folded, and the student replaces the stage's model.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import ModelError
from .technique import Context, Params, Stage, Technique

__all__ = ["TECHNIQUE", "DistillParams", "ZooModel"]


class ZooModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class DistillParams(Params):
    student: ZooModel
    teacher: ZooModel | None = None
    temperature: float = Field(4.0, gt=0)
    alpha: float = Field(0.7, ge=0.0, le=1.0)
    epochs: int | None = Field(None, ge=1)
    lr: float | None = Field(None, gt=0)


def _teacher(params: DistillParams, stage: Stage, ctx: Context) -> Any:
    if params.teacher is None:
        return stage.model
    from ..training import train_cached
    from ..zoo import fold_batchnorm

    trained = train_cached(params.teacher.name, params.teacher.params, ctx.dataset, ctx.train,
                           quick=ctx.quick, progress=ctx.progress)
    return fold_batchnorm(trained.model)


def _apply(stage: Stage, params: DistillParams, ctx: Context) -> Stage:
    import torch
    from torch import nn

    from ..training.loop import class_weights, deterministic
    from ..zoo import build_model, fold_batchnorm
    from ._layers import finetune

    teacher = _teacher(params, stage, ctx).eval()
    deterministic(ctx.seed)
    student = build_model(params.student.name, params.student.params)
    with torch.no_grad():
        t_out, s_out = teacher(ctx.example), student.eval()(ctx.example)
    if t_out.shape != s_out.shape:
        raise ModelError(f"distill: the student {params.student.name} gives outputs of shape "
                         f"{tuple(s_out.shape)}, the teacher {tuple(t_out.shape)}")
    split = ctx.dataset.train
    ce = nn.CrossEntropyLoss(weight=class_weights(ctx.train, split.y, len(ctx.dataset.classes)))
    t, alpha = params.temperature, params.alpha

    def loss(logits: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            soft = torch.softmax(teacher(x) / t, dim=1)
        kd = nn.functional.kl_div(torch.log_softmax(logits / t, dim=1), soft,
                                  reduction="batchmean")
        return alpha * t * t * kd + (1.0 - alpha) * ce(logits, y)

    epochs = params.epochs or ctx.train.epochs
    student, history = finetune(student, ctx, epochs, params.lr or ctx.train.lr, "distill",
                                loss=loss)
    student = fold_batchnorm(student)
    n_teacher = sum(p.numel() for p in teacher.parameters())
    n_student = sum(p.numel() for p in student.parameters())
    ctx.progress(f"distill: student {params.student.name} {n_student} parameters "
                 f"(teacher {n_teacher})")
    notes = {"student": params.student.model_dump(), "teacher_params": n_teacher,
             "student_params": n_student, "history": history.as_dict()}
    return Stage(student, stage.quantizer, stage.weight_bits, {**stage.notes, "distill": notes})


TECHNIQUE = Technique("distill", DistillParams, _apply,
                      summary="train a smaller zoo student on the teacher's soft labels")
