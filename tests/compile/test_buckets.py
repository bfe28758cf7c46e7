"""Bucket assignment, hand-checked against sd-scripts' make_bucket_resolutions/select_bucket."""

from orchestrator.compile.buckets import BucketSelector, BucketSettings, adjust_min_max, candidate_buckets


def test_candidates_at_512_match_hand_computation():
    resos = candidate_buckets((512, 512), 256, 1024, 64)
    # w → h = min(1024, floor((262144 // w) / 64) * 64), both orientations, plus the square
    expected_landscape = [(256, 1024), (320, 768), (384, 640), (448, 576), (512, 512), (576, 448), (640, 384),
                          (704, 320), (768, 320), (832, 256), (896, 256), (960, 256), (1024, 256)]  # fmt: skip
    expected = sorted(set(expected_landscape) | {(h, w) for w, h in expected_landscape})
    assert resos == expected
    assert resos == sorted(resos)


def test_exact_candidate_size_keeps_its_bucket():
    sel = BucketSelector(BucketSettings((512, 512)))
    assert sel.select(448, 576) == ((448, 576), 0.0)


def test_nearest_aspect_ratio_wins():
    sel = BucketSelector(BucketSettings((512, 512)))
    reso, err = sel.select(1000, 500)  # aspect 2.0: 704/320 = 2.2 beats 640/384 = 1.67
    assert reso == (704, 320)
    assert round(err, 6) == 0.2


def test_first_candidate_wins_a_tie():
    # aspect exactly between 512/512 (1.0) and ... choose sizes whose errors tie: 1.0 and 1.25 around 1.125
    sel = BucketSelector(BucketSettings((512, 512), min_reso=256, max_reso=1024))
    aspects = [w / h for w, h in sel._predefined]
    reso, _ = sel.select(900, 800)  # aspect 1.125
    errors = [abs(a - 1.125) for a in aspects]
    assert reso == sel._predefined[errors.index(min(errors))]


def test_buckets_off_is_one_bucket_of_the_resolution():
    sel = BucketSelector(BucketSettings((512, 768), enabled=False))
    assert sel.select(1000, 300)[0] == (512, 768)
    assert sel.select(64, 64)[0] == (512, 768)


def test_no_upscale_small_image_floors_to_step():
    sel = BucketSelector(BucketSettings((512, 512), no_upscale=True))
    assert sel.select(300, 200)[0] == (256, 192)


def test_no_upscale_large_image_scales_to_area():
    sel = BucketSelector(BucketSettings((512, 512), no_upscale=True))
    # area 2M > 512²: scaled to (640, 320) by the height-rounded branch (exact aspect 2.0)
    assert sel.select(2048, 1024)[0] == (640, 320)


def test_min_max_snap_to_step():
    assert adjust_min_max(BucketSettings((512, 512), min_reso=300, max_reso=1000, step=64)) == (256, 1024)


def test_every_valid_setting_buckets_every_size_without_dividing_by_zero():
    # settings the schema accepts (min ≥ step, min ≤ side ≤ max) × awkward image sizes; a
    # no_upscale image that cannot be bucketed comes back as (0, 0), which the doctor reports
    import itertools

    sizes = [(1, 1), (7, 300), (63, 64), (64, 63), (300, 7), (512, 768), (768, 512), (4000, 10), (10, 4000), (1024, 1024)]
    for side, step, no_upscale in itertools.product((64, 128, 256, 512, 1024), (32, 64, 128), (False, True)):
        if side % step:
            continue
        for lo, hi in ((step, side), (step, 2 * side), (side, side), (side, 4 * side)):
            selector = BucketSelector(BucketSettings((side, side), True, lo, hi, step, no_upscale))
            for w, h in sizes:
                (bw, bh), err = selector.select(w, h)
                assert bw % step == 0 and bh % step == 0, (side, step, lo, hi, no_upscale, w, h, bw, bh)
                if (bw, bh) == (0, 0):
                    assert no_upscale and err == float("inf")
                elif not no_upscale:
                    assert lo <= min(bw, bh) and max(bw, bh) <= max(hi, side) and bw * bh <= side * side
