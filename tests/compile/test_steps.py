"""Step arithmetic: the numbers sd-scripts prints, on hand-checked cases (facts doc §5)."""

from orchestrator.compile.buckets import BucketSettings
from orchestrator.compile.steps import DatasetSpec, Schedule, SubsetImages, plan_steps

SQUARE = (512, 512)
OFF = BucketSettings(SQUARE, enabled=False)
ON = BucketSettings(SQUARE)


def subset(n, repeats, size=SQUARE, reg=False, name="x"):
    return SubsetImages(name, tuple([size] * n), repeats, reg)


def test_facts_example_without_and_with_regularisation():
    train = subset(20, 10)
    plan = plan_steps([DatasetSpec((train,), OFF, 2)], Schedule(max_train_epochs=5))
    assert (plan.num_train_images, plan.batches_per_epoch, plan.total_steps, plan.epochs) == (200, 100, 500, 5)

    reg = subset(15, 1, reg=True, name="reg")
    plan = plan_steps([DatasetSpec((train, reg), OFF, 2)], Schedule(max_train_epochs=5))
    assert plan.num_reg_images == 15  # printed raw
    assert plan.reg_images_used == 200  # balanced up to the training images
    assert (plan.batches_per_epoch, plan.total_steps) == (200, 1000)


def test_more_regularisation_than_training_images_uses_a_prefix():
    train = subset(5, 2)  # 10
    reg = subset(30, 1, reg=True)
    plan = plan_steps([DatasetSpec((train, reg), OFF, 2)], Schedule(max_train_epochs=1))
    assert plan.reg_images_used == 10
    assert plan.batches_per_epoch == 10
    assert any("regularisation" in w for w in plan.warnings)


def test_reg_with_repeats_overshoots_like_the_trainer():
    train = subset(3, 1)  # 3
    reg = subset(2, 2, reg=True)  # first reg image adds 2 (n=2), second adds 2 (n=4 ≥ 3)
    plan = plan_steps([DatasetSpec((train, reg), OFF, 1)], Schedule(max_train_epochs=1))
    assert plan.reg_images_used == 4
    assert plan.batches_per_epoch == 7


def test_per_bucket_ceiling_not_a_global_division():
    portrait, landscape = (448, 576), (576, 448)
    s = SubsetImages("x", (portrait, portrait, portrait, landscape), 1)
    plan = plan_steps([DatasetSpec((s,), ON, 2)], Schedule(max_train_epochs=1))
    # 3 portraits → 2 batches, 1 landscape → 1 batch; naive ceil(4 / 2) would say 2
    assert plan.batches_per_epoch == 3
    assert [(b.resolution, b.count, b.batches) for b in plan.buckets[0]] == [(portrait, 3, 2), (landscape, 1, 1)]


def test_mixed_aspect_ratios_with_repeats():
    s1 = SubsetImages("a", ((1000, 500), (500, 1000), (512, 512)), 3)
    s2 = SubsetImages("b", ((800, 600),), 2)
    plan = plan_steps([DatasetSpec((s1, s2), ON, 4)], Schedule(max_train_epochs=2))
    counts = {b.resolution: b.count for b in plan.buckets[0]}
    assert counts == {(704, 320): 3, (320, 704): 3, (512, 512): 3, (576, 448): 2}  # 800x600 (1.33) → 576x448 (1.29)
    assert plan.num_train_images == 11
    assert plan.batches_per_epoch == 4  # 1 + 1 + 1 + 1
    assert plan.total_steps == 8


def test_gradient_accumulation_and_processes():
    s = subset(116, 1)
    plan = plan_steps([DatasetSpec((s,), OFF, 1)], Schedule(max_train_epochs=10, gradient_accumulation_steps=4))
    assert (plan.total_steps, plan.epochs) == (290, 10)  # 10 × ceil(116 / 4)
    plan = plan_steps([DatasetSpec((s,), OFF, 1)], Schedule(max_train_epochs=10, num_processes=2))
    assert (plan.batches_per_epoch, plan.total_steps) == (58, 580)
    plan = plan_steps([DatasetSpec((subset(115, 1),), OFF, 1)], Schedule(max_train_epochs=3, num_processes=2, gradient_accumulation_steps=2))
    assert plan.total_steps == 3 * 29  # ceil(115 / 2 / 2)


def test_steps_only_and_the_silent_default():
    s = subset(116, 1)
    plan = plan_steps([DatasetSpec((s,), OFF, 1)], Schedule(max_train_steps=1000))
    assert (plan.total_steps, plan.epochs, plan.steps_source) == (1000, 9, "max_train_steps")
    plan = plan_steps([DatasetSpec((s,), OFF, 1)], Schedule())
    assert (plan.total_steps, plan.steps_source) == (1600, "default")
    assert any("1600" in w for w in plan.warnings)


def test_epochs_win_over_steps():
    plan = plan_steps([DatasetSpec((subset(10, 1),), OFF, 1)], Schedule(max_train_epochs=2, max_train_steps=999))
    assert plan.total_steps == 20


def test_no_images_is_no_data():
    plan = plan_steps([DatasetSpec((subset(0, 3),), OFF, 1)], Schedule(max_train_epochs=1))
    assert plan.no_data and plan.total_steps == 0
