"""Benchmark of the imaging biomarkers (issue 19): RECIST, measurement, radiomics, segmentation, speed.

* RECIST 1.1 on the CDISC oncology set (``cdisc_pilot01/onco_recist``): BOR and confirmed
  BOR of every subject against ``expected_best_overall_response.csv``; every per-visit
  overall response of each reader (investigator, radiologist 1, radiologist 2) against
  the RS file; Cohen's kappa of the two radiologists against scikit-learn's
  ``cohen_kappa_score`` on the same pairs.
* Measurement: lesions (26-connected) of the pyradiomics masks, voxel counts and
  in-plane longest diameters; ``liver.dcm`` SEG foreground voxels.
* Radiomics: pyradiomics features of brain1, brain2, breast1 against pyradiomics' own
  baseline tables (3 % relative).
* Segmentation: the box-prompted Otsu baseline (margins 0, 2, 4, 8 voxels in-plane) and
  the click baseline (15 mm box) against the largest lesion of each case: Dice and
  Hausdorff (mm), mean with a 95 % bootstrap interval over the 3 cases (no training: every
  case is held out). The learned (MONAI) path is not built (see docs/imaging.md).
* Inter-reader variability: rate of changed RECIST categories under +-1 voxel boundary error.
* Learned path (sanity check): BreastMNIST through the core lifecycle on HOG features
  (scikit-image), test AUROC beside MedMNIST's published ResNet-18 (28 px) 0.901.
* Speed: pyradiomics features of a 256^3 volume (a 40-voxel-radius ball, about 268k voxels
  in the mask); RECIST for 10,000 simulated subjects (4 follow-ups, 1-5 targets each),
  checked against an independent derivation.

Usage::

    python bench/imaging.py            # everything (about 2 minutes on 2 cores)
    python bench/imaging.py --quick    # skip the 256^3 radiomics timing; 2,000 RECIST subjects

Writes ``bench/results/imaging.json``.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import numpy as np
import pandas as pd

import _common

NAME = "imaging"
DATA = _common.REPO_ROOT.parent / "shared" / "data"
RAD = DATA / "medical_imaging" / "pyradiomics"
ONCO = DATA / "cdisc_pilot01" / "onco_recist"
CASES = ("brain1", "brain2", "breast1")


def recist_check() -> dict:
    from sklearn.metrics import cohen_kappa_score

    from pharmakon.imaging.recist import assess, read_sdtm, reader_agreement, rs_responses

    tu = pd.read_csv(ONCO / "tu_onco_recist.csv", dtype=str)
    tr = pd.read_csv(ONCO / "tr_onco_recist.csv", dtype=str)
    rs = rs_responses(pd.read_csv(ONCO / "rs_onco_recist.csv", dtype=str), "rs")
    expected = pd.read_csv(ONCO / "expected_best_overall_response.csv").set_index("USUBJID")
    out: dict = {"readers": {}}
    for reader in ("INVESTIGATOR", "RADIOLOGIST 1", "RADIOLOGIST 2"):
        subjects = assess(read_sdtm(tu, tr, reader, tu_file="tu", tr_file="tr"))
        mine = rs[rs["READER"] == reader].set_index(["USUBJID", "VISITNUM"])["RESPONSE"]
        ours = {(s.usubjid, v.visitnum): v.response for s in subjects for v in s.visits}
        out["readers"][reader] = {
            "visits": len(mine),
            "equal_to_rs": int(sum(ours.get(k) == v for k, v in mine.items())),
        }
        if reader == "INVESTIGATOR":
            out["subjects"] = [
                {
                    "usubjid": s.usubjid,
                    "bor": s.bor,
                    "cbor": s.cbor,
                    "expected_bor": expected.loc[s.usubjid, "expected_BOR"],
                    "expected_cbor": expected.loc[s.usubjid, "expected_CBOR"],
                    "responses": " ".join(v.response for v in s.visits),
                }
                for s in subjects
            ]
            base = {s.usubjid: date.fromisoformat(s.baseline_date) for s in subjects}
    a = rs[rs["READER"] == "RADIOLOGIST 1"].set_index(["USUBJID", "VISITNUM"])["RESPONSE"]
    b = rs[rs["READER"] == "RADIOLOGIST 2"].set_index(["USUBJID", "VISITNUM"])["RESPONSE"]
    pairs = pd.concat([a, b], axis=1, join="inner")
    agr = reader_agreement(rs, ("RADIOLOGIST 1", "RADIOLOGIST 2"), base)
    out["kappa"] = {
        "ours": agr.kappa,
        "sklearn": float(cohen_kappa_score(pairs.iloc[:, 0], pairs.iloc[:, 1])),
        "pairs": agr.pairs,
        "discordant_bor": agr.discordant_bor,
        "subjects": agr.subjects,
    }
    return out


def measurement() -> dict:
    import SimpleITK as sitk

    from pharmakon.imaging.io import Volume, read_image, read_mask, read_seg
    from pharmakon.imaging.measure import measure_lesions

    out = {}
    for case in CASES:
        image = read_image(RAD / f"{case}_image.nrrd")
        mask = Volume.of(read_mask(RAD / f"{case}_label.nrrd", image))
        out[case] = [les.to_dict() for les in measure_lesions(mask.array, mask.spacing, 1)]
    seg = sitk.GetArrayFromImage(read_seg(DATA / "medical_imaging" / "pydicom" / "liver.dcm"))
    out["liver_seg_voxels"] = int((seg > 0).sum())
    return out


def radiomics_parity() -> dict:
    from pharmakon.imaging.io import read_image, read_mask
    from pharmakon.imaging.radiomics import baseline_parity, extract, load_baseline

    out = {}
    for case in CASES:
        image = read_image(RAD / f"{case}_image.nrrd")
        mask = read_mask(RAD / f"{case}_label.nrrd", image)
        table = baseline_parity(extract(image, mask), load_baseline(RAD / "baseline", case))
        out[case] = {
            "features": len(table),
            "within_3pct": int(table["within"].sum()),
            "max_rel_diff": float(table["rel_diff"].max()),
            "outside": table.loc[~table["within"], "feature"].tolist(),
        }
    return out


def segmentation() -> dict:
    from skimage.measure import label

    from pharmakon.imaging.io import Volume, read_image, read_mask
    from pharmakon.imaging.segment import (
        bootstrap_interval,
        box_segmentation,
        dice,
        hausdorff_mm,
        seed_of,
        seeded_segmentation,
    )
    from pharmakon.imaging.variability import simulate_variability

    methods = {f"box margin {m}": ("box", m) for m in (0, 2, 4, 8)} | {"click, 15 mm box": ("seed", 15.0)}
    per: dict = {name: {} for name in methods}
    variability = {}
    for case in CASES:
        image = Volume.of(read_image(RAD / f"{case}_image.nrrd"))
        mask = Volume.of(read_mask(RAD / f"{case}_label.nrrd", image.to_image()))
        parts = label(mask.array == 1, connectivity=3)
        ref = parts == np.argmax(np.bincount(parts.ravel())[1:]) + 1
        for name, (kind, arg) in methods.items():
            if kind == "box":
                seg = box_segmentation(image.array, ref, (0, int(arg), int(arg)))
            else:
                seg = seeded_segmentation(image.array, seed_of(ref), image.spacing, float(arg))
            per[name][case] = {"dice": dice(seg, ref), "hausdorff_mm": hausdorff_mm(seg, ref, image.spacing)}
        rows = simulate_variability(ref, mask.spacing, n=50, seed=0)
        variability[case] = {f"{r.ratio:g}": {"true": r.true_category, "rate": r.rate} for r in rows}
    summary = {}
    for name, cases in per.items():
        d = [v["dice"] for v in cases.values()]
        h = [v["hausdorff_mm"] for v in cases.values()]
        summary[name] = {
            "cases": cases,
            "dice_mean": float(np.mean(d)),
            "dice_ci95": bootstrap_interval(d),
            "hausdorff_mean_mm": float(np.mean(h)),
            "hausdorff_ci95_mm": bootstrap_interval(h),
        }
    return {"methods": summary, "variability": variability}


def breastmnist() -> dict:
    """HOG features + the core lifecycle (fixed work: trials=0, seed 0), test AUROC beside ResNet-18's 0.901."""
    import tempfile

    from pharmakon.caller import Caller
    from pharmakon.core.service import EvaluateSpec, TrainSpec, evaluate_on_data, train_and_register
    from pharmakon.imaging.classify import hog_table, load_breastmnist
    from pharmakon.store import open_store

    data = load_breastmnist(DATA / "medical_imaging" / "medmnist" / "breastmnist.npz")

    def table(split: str) -> pd.DataFrame:
        images, labels = data[split]
        return hog_table(images).assign(label=labels.astype(int))

    train = pd.concat([table("train"), table("val")], ignore_index=True)
    test = table("test")
    caller = Caller("bench", "python")
    with tempfile.TemporaryDirectory() as home:
        store = open_store(f"sqlite:///{home}/bench.db")
        t0 = time.perf_counter()
        spec = TrainSpec(
            target="label",
            task="classification",
            trials=0,
            seed=0,
            models=["logistic", "rf", "lightgbm", "svm"],
            name="breastmnist-hog",
        )
        trained = train_and_register(store, spec, caller, frame=train)
        seconds = time.perf_counter() - t0
        ev = evaluate_on_data(store, EvaluateSpec(name="breastmnist-hog"), caller, frame=test, label="test")
    return {
        "train_rows": len(train),
        "test_rows": len(test),
        "features": train.shape[1] - 1,
        "best": trained.best.get("model"),
        "cv_auroc": trained.cv_metrics.get("auroc"),
        "test_auroc": ev.metrics.get("auroc"),
        "test_accuracy": ev.metrics.get("accuracy"),
        "published_resnet18_28_auroc": 0.901,
        "published_resnet18_28_accuracy": 0.863,
        "train_seconds": round(seconds, 1),
    }


def speed(n_subjects: int, radiomics_256: bool) -> dict:
    import SimpleITK as sitk

    from pharmakon.imaging.radiomics import extract
    from pharmakon.imaging.recist import assess, read_sdtm
    from pharmakon.imaging.simulate import expected_responses, simulate_sdtm

    out: dict = {}
    tu, tr = simulate_sdtm(n_subjects, visits=4, seed=1)
    tu_s, tr_s = tu.astype(str), tr.astype(str)
    t0 = time.perf_counter()
    subjects = assess(read_sdtm(tu_s, tr_s, None, tu_file="tu", tr_file="tr"))
    seconds = time.perf_counter() - t0
    truth = expected_responses(tu, tr)
    out["recist"] = {
        "subjects": n_subjects,
        "tr_rows": len(tr),
        "seconds": round(seconds, 2),
        "agree_with_independent": int(sum([v.response for v in s.visits] == truth[s.usubjid] for s in subjects)),
    }
    if radiomics_256:
        rng = np.random.default_rng(0)
        k, j, i = np.ogrid[:256, :256, :256]
        ball = ((k - 128) ** 2 + (j - 128) ** 2 + (i - 128) ** 2) <= 40**2
        arr = (rng.normal(100, 20, (256, 256, 256)) + 60 * ball).astype(np.int16)
        image, mask = sitk.GetImageFromArray(arr), sitk.GetImageFromArray(ball.astype(np.uint8))
        t0 = time.perf_counter()
        feats = extract(image, mask)
        out["radiomics_256"] = {
            "mask_voxels": int(ball.sum()),
            "features": len(feats),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 RECIST subjects; no 256^3 radiomics timing")
    args = parser.parse_args()
    payload = {
        "machine": _common.machine_info(),
        "recist": recist_check(),
        "measurement": measurement(),
        "radiomics": radiomics_parity(),
        "segmentation": segmentation(),
        "speed": speed(2_000 if args.quick else 10_000, not args.quick),
    }
    if not args.quick:
        payload["breastmnist"] = breastmnist()
    _common.write_result(NAME, payload)
    _print(payload)


def _print(p: dict) -> None:
    r = p["recist"]
    rows = [
        [s["usubjid"], s["responses"], s["bor"], s["expected_bor"], s["cbor"], s["expected_cbor"]]
        for s in r["subjects"]
    ]
    _common.print_table(
        "RECIST 1.1 (investigator) vs expected", ["subject", "visits", "BOR", "exp", "CBOR", "exp"], rows
    )
    rows = [[k, v["visits"], v["equal_to_rs"]] for k, v in r["readers"].items()]
    k = r["kappa"]
    _common.print_table(
        "Per-visit overall response vs RS",
        ["reader", "visits", "equal"],
        rows,
        numeric=["visits", "equal"],
        caption=f"kappa ours {k['ours']:.6f} vs sklearn {k['sklearn']:.6f} on {k['pairs']} pairs; "
        f"discordant BOR {k['discordant_bor']}/{k['subjects']}",
    )
    m = p["measurement"]
    rows = [
        [
            case,
            les["voxels"],
            f"{les['longest_diameter_mm']:.3f}",
            f"{les['short_axis_mm']:.3f}",
            f"{les['max_3d_diameter_mm']:.3f}",
        ]
        for case in CASES
        for les in m[case]
    ]
    _common.print_table(
        "Lesions",
        ["case", "voxels", "longest mm", "short mm", "3-D mm"],
        rows,
        caption=f"liver.dcm SEG: {m['liver_seg_voxels']} foreground voxels",
    )
    rows = [[c, v["features"], v["within_3pct"], f"{v['max_rel_diff']:.2e}"] for c, v in p["radiomics"].items()]
    _common.print_table("pyradiomics vs baseline tables", ["case", "features", "within 3 %", "max rel diff"], rows)
    rows = [
        [
            name,
            *(f"{v['cases'][c]['dice']:.3f}" for c in CASES),
            f"{v['dice_mean']:.3f} [{v['dice_ci95'][0]:.3f}, {v['dice_ci95'][1]:.3f}]",
            f"{v['hausdorff_mean_mm']:.1f} [{v['hausdorff_ci95_mm'][0]:.1f}, {v['hausdorff_ci95_mm'][1]:.1f}]",
        ]
        for name, v in p["segmentation"]["methods"].items()
    ]
    _common.print_table(
        "Segmentation baselines (Dice)", ["method", *CASES, "mean Dice [95 % CI]", "Hausdorff mm"], rows
    )
    var = p["segmentation"]["variability"]
    ratios = list(next(iter(var.values())))
    rows = [[c, *(f"{v[r]['true']} {v[r]['rate']:.2f}" for r in ratios)] for c, v in var.items()]
    _common.print_table("Category change rate, +-1 voxel reader error (n=50)", ["case", *ratios], rows)
    if "breastmnist" in p:
        b = p["breastmnist"]
        _common.print_table(
            "BreastMNIST (HOG + core lifecycle) vs MedMNIST ResNet-18 (28 px)",
            ["model", "test AUROC", "test accuracy"],
            [
                [f"HOG + {b['best']} (trials=0)", f"{b['test_auroc']:.3f}", f"{b['test_accuracy']:.3f}"],
                ["ResNet-18 (28), published", "0.901", "0.863"],
            ],
            caption=f"{b['train_rows']} train+val / {b['test_rows']} test images; training {b['train_seconds']} s",
        )
    s = p["speed"]
    rows = [
        ["RECIST", f"{s['recist']['subjects']} subjects ({s['recist']['tr_rows']} TR rows)", s["recist"]["seconds"]]
    ]
    if "radiomics_256" in s:
        rows.append(
            ["radiomics 256^3", f"{s['radiomics_256']['mask_voxels']} mask voxels", s["radiomics_256"]["seconds"]]
        )
    _common.print_table(
        "Speed",
        ["task", "size", "seconds"],
        rows,
        caption=f"RECIST agrees with the independent derivation for {s['recist']['agree_with_independent']} subjects",
    )


if __name__ == "__main__":
    main()
