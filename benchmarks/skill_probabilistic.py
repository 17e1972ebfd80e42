"""Probabilistic skill of UNetNowcaster ensembles vs pysteps' STEPS.

Simulated radar (:func:`skseq.datasets.make_radar_sequences`) on 64x64
frames with settings unlike the gallery example's (drift (-0.9, 1.5)
px/frame instead of (1.2, 0.4), rotation 0.012 rad/frame instead of 0.004,
mean cell lifetime 12 frames instead of 24); training and test sequences from
different seeds (as ``benchmarks/skill_nowcasting.py``).

* ``UNetNowcaster(random_state=...)`` with its DEFAULT parameters, fitted on
  every window (4 input -> 6 target frames) of the training sequence; its
  ensembles of 20 members over 6 leads from ``predict_ensemble`` with
  ``method="residual"`` (the default: per-step residual noise calibrated in
  ``fit``, cross-fitted over two blocks of the training windows as
  ``ensemble_cv=2`` does), the same network with its noise calibrated on
  its training windows (``ensemble_cv=None``), and ``method="mc_dropout"``;
* ``STEPSNowcaster()`` (pysteps' STEPS, 20 members, pysteps' defaults).

Per lead 1-6 over all test windows and pixels: CRPS (mm/h, lower is better),
spread/skill ratio (1 is calibrated), Brier score and ROC area at 1 mm/h, and
the reliability error at 1 mm/h: the mean absolute distance of the
reliability curve (10 probability bins, at least 10 pairs each) from the
diagonal, weighted by the pairs in each bin (0 is perfectly reliable). CPU
time (``time.process_time``) of generating the ensembles for all test
windows.

``--traffic``: empirical coverage of the 80 % intervals (members' 10 % and
90 % quantiles) of a DEFAULT ``ConvLSTMForecaster`` (``predict_ensemble``,
20 members; intervals from the wider tail of its validation and training
errors) on simulated
traffic speeds (:func:`skseq.datasets.make_traffic_speeds`, 28 days x 32
locations, hourly heatmaps of 12 five-minute rows, 6 hours -> 3 hours), on
the last quarter of the windows (held out in time), per horizon, with the
RMSE of its deterministic ``predict``. ``--traffic-corridor two-bottleneck``
or ``short`` runs it on corridors never used to choose a default (two
bottlenecks, faster and noisier; 10 days x 24 locations).

``--calibration-sequence`` also scores the U-Net's ensemble re-calibrated
(``UNetNowcaster.calibrate_ensemble``) on a third, independent sequence of
240 frames.

``--test-sequences K`` scores on the windows of K independent test
sequences (the first one the default's), pooled, and prints the CRPS and
spread/skill ratio of each sequence alone: the spread/skill ratio of one
sequence's 36 overlapping windows varies a lot with its weather.

Measured (2026-12-06, 2-core VM, two or three benchmark processes, one
torch thread each; ``random_state=0``, the network of 2026-12-05 re-loaded
with ``--unet-pickle``; the tables are in docs/benchmarks.rst): U-Net CRPS
0.120 0.284 0.422 0.507 0.602 0.669 vs STEPS 0.251 0.454 0.616 0.709 0.771
0.824 at leads 1-6; reliability error at 1 mm/h 0.008-0.042 vs
0.021-0.096; spread/skill 0.77-0.95 (0.42-0.71 calibrated on the training
windows, 0.65-0.77 on the third sequence; STEPS 0.63-0.74); CPU 3.2 s vs
13.1 s for 36 ensembles of 20 x 6 frames. With ``--test-sequences 6``
(216 windows, seeds 0 / 1 / 2): CRPS below STEPS' at every lead of every
seed pooled, and at 105 of the 108 leads sequence by sequence; pooled
spread/skill 0.94-1.30 /
0.89-1.00 / 0.87-1.03, STEPS 0.71-0.86 / 0.71-0.90 / 0.72-0.85. Traffic (2026-11-24, two
threads, idle machine): coverage 0.798 (0.781, 0.803, 0.811 at +1, +2, +3
h).

Run ``python benchmarks/skill_probabilistic.py`` (``--quick`` for a
shorter test sequence, ``--random-state 1`` for other seeds,
``--unet-pickle FILE`` to keep the fitted U-Net for later runs; one torch
thread unless ``--n-threads``).
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import time

import numpy as np
import pandas as pd
from _cli import positive_int, skill_parser

N_INPUT, N_LEADS, N_MEMBERS = 4, 6, 20
SETTING = dict(
    height=64,
    width=64,
    motion=(-0.9, 1.5),
    rotation=0.012,
    mean_lifetime=12.0,
    max_intensity=40.0,
)
#: (training frames, test frames) of the full and the quick run.
SIZES = {False: (240, 80), True: (240, 40)}


def make_calibration_data(random_state: int = 0):
    """Windows (stride 1) of a third, independent sequence of 240 frames."""
    from skseq.datasets import make_radar_sequences
    from skseq.preprocessing import sliding_windows

    frames = make_radar_sequences(
        n_frames=SIZES[False][0], random_state=1000 * random_state + 3, **SETTING
    )
    return sliding_windows(frames, n_input=N_INPUT, n_output=N_LEADS)


def test_seed(random_state: int, sequence: int) -> int:
    """Generator seed of test sequence ``sequence`` (0: the original one)."""
    return 1000 * random_state + (2 if sequence == 0 else 10 + sequence)


def make_data(quick: bool = False, random_state: int = 0, n_test_sequences: int = 1):
    """Training windows (stride 1) and test windows (stride 2).

    The test windows of ``n_test_sequences`` independent sequences are
    concatenated, the first sequence's first.
    """
    from skseq.datasets import make_radar_sequences
    from skseq.preprocessing import sliding_windows

    n_train, n_test = SIZES[bool(quick)]
    train = make_radar_sequences(
        n_frames=n_train, random_state=1000 * random_state + 1, **SETTING
    )
    X_train, y_train = sliding_windows(train, n_input=N_INPUT, n_output=N_LEADS)
    tests = [
        sliding_windows(
            make_radar_sequences(
                n_frames=n_test, random_state=test_seed(random_state, j), **SETTING
            ),
            n_input=N_INPUT,
            n_output=N_LEADS,
            stride=2,
        )
        for j in range(n_test_sequences)
    ]
    X_test = np.concatenate([X for X, _ in tests])
    y_test = np.concatenate([y for _, y in tests])
    return X_train, y_train, X_test, y_test


def reliability_error(y_true, probability, threshold=1.0) -> float:
    """Count-weighted mean ``|observed frequency - forecast probability|``."""
    from skseq.metrics import reliability_diagram

    forecast, observed, counts = reliability_diagram(y_true, probability, threshold)
    ok = np.isfinite(observed)
    return float(np.average(np.abs(observed[ok] - forecast[ok]), weights=counts[ok]))


def score(y_true, members) -> pd.DataFrame:
    """Scores per lead of members ``(n, m, n_leads, H, W)``."""
    from skseq.metrics import (
        brier_score,
        crps_ensemble,
        exceedance_probability,
        roc_curve_probabilistic,
        spread_skill_ratio,
    )

    axes = (0, 2, 3)
    prob = exceedance_probability(members, 1.0)
    rows = {
        "CRPS": crps_ensemble(y_true, members, axis=axes),
        "spread/skill": spread_skill_ratio(y_true, members, axis=axes),
        "Brier@1": brier_score(y_true, prob, 1.0, axis=axes),
        "ROC area@1": [
            roc_curve_probabilistic(y_true[:, k], prob[:, k], 1.0)[2]
            for k in range(N_LEADS)
        ],
        "reliability error@1": [
            reliability_error(y_true[:, k], prob[:, k]) for k in range(N_LEADS)
        ],
    }
    return pd.DataFrame(rows, index=pd.RangeIndex(1, N_LEADS + 1, name="lead")).T


def run(
    quick: bool = False,
    random_state: int = 0,
    out: str | None = None,
    unet_pickle: str | None = None,
    calibration_sequence: bool = False,
    n_test_sequences: int = 1,
):
    from skseq import UNetNowcaster
    from skseq.baselines import STEPSNowcaster
    from skseq.metrics import (
        crps_ensemble,
        exceedance_probability,
        rank_histogram,
        reliability_diagram,
        spread_skill_ratio,
    )
    from skseq.utils._optional import import_pysteps

    # the STEPS baseline needs pysteps: known before the U-Net trains
    import_pysteps("the probabilistic benchmark's STEPS baseline")
    X_train, y_train, X_test, y_test = make_data(quick, random_state, n_test_sequences)
    # the windows of each test sequence, for the scores per sequence
    sequence = np.repeat(np.arange(n_test_sequences), len(X_test) // n_test_sequences)
    if unet_pickle and os.path.exists(unet_pickle):
        # a UNetNowcaster(random_state=random_state) fitted on the same
        # X_train, y_train; its ensemble noise re-estimated as the default fit
        # does (no validation split for these 231 windows: cross-fitted over 2
        # blocks), so that a model fitted before a change of the noise model
        # can be reused
        with open(unet_pickle, "rb") as fh:
            unet = pickle.load(fh)
        defaults = UNetNowcaster(random_state=random_state).get_params()
        differing = {
            k
            for k, v in unet.get_params().items()
            if k != "ensemble_cv" and defaults[k] != v
        }
        if differing or unet.validation_fraction_ != 0.0:
            raise ValueError(
                f"--unet-pickle {unet_pickle} is not a default UNetNowcaster("
                f"random_state={random_state}) fitted on these windows: its "
                f"{sorted(differing) or ['validation split']} differ. Delete it "
                "to fit one."
            )
        unet.set_params(ensemble_cv=UNetNowcaster().ensemble_cv)
        unet.calibrate_ensemble(X_train, y_train, cv=unet.ensemble_cv)
        fit_time = float("nan")
    else:
        start = time.perf_counter()
        unet = UNetNowcaster(random_state=random_state).fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        if unet_pickle:
            with open(unet_pickle, "wb") as fh:
                pickle.dump(unet, fh)
    steps = STEPSNowcaster(random_state=random_state).fit(X_train[:1], y_train[:1])
    # what ensemble_cv=None gives: the error model of the training windows
    in_sample = copy.deepcopy(unet).calibrate_ensemble(X_train, y_train)
    generators = {
        "UNet residual (default)": lambda: unet.predict_ensemble(
            X_test, N_MEMBERS, N_LEADS, random_state=random_state
        ),
        "UNet residual, training windows": lambda: in_sample.predict_ensemble(
            X_test, N_MEMBERS, N_LEADS, random_state=random_state
        ),
    }
    if calibration_sequence:
        recalibrated = copy.deepcopy(unet).calibrate_ensemble(
            *make_calibration_data(random_state)
        )
        generators["UNet residual, second sequence"] = lambda: (
            recalibrated.predict_ensemble(
                X_test, N_MEMBERS, N_LEADS, random_state=random_state
            )
        )
    generators |= {
        "UNet MC dropout": lambda: unet.predict_ensemble(
            X_test, N_MEMBERS, N_LEADS, random_state=random_state, method="mc_dropout"
        ),
        "STEPS (pysteps)": lambda: steps.predict_ensemble(
            X_test, N_MEMBERS, N_LEADS, random_state=random_state
        ),
    }
    tables, cpu, extra, per_sequence = {}, {}, {}, {}
    for name, generate in generators.items():
        start = time.process_time()
        members = generate()
        cpu[name] = time.process_time() - start
        tables[name] = score(y_test, members)
        if n_test_sequences > 1:
            per_sequence[name] = pd.DataFrame(
                {
                    (j, label): metric(
                        y_test[sequence == j], members[sequence == j], axis=(0, 2, 3)
                    )
                    for j in range(n_test_sequences)
                    for label, metric in (
                        ("CRPS", crps_ensemble),
                        ("spread/skill", spread_skill_ratio),
                    )
                },
                index=pd.RangeIndex(1, N_LEADS + 1, name="lead"),
            ).T.rename_axis(["test sequence", "score"])
        prob = exceedance_probability(members, 1.0)
        forecast, observed, counts = reliability_diagram(y_test, prob, 1.0)
        extra[name] = {
            "reliability_forecast": forecast.tolist(),
            "reliability_observed": observed.tolist(),
            "reliability_counts": counts.tolist(),
            "rank_histogram": rank_histogram(
                y_test, members, threshold=0.1, random_state=0
            ).tolist(),
            "cpu_s": cpu[name],
        }
    table = pd.concat(tables, names=["model", "score"])
    info = {
        "fit_time_s": fit_time,
        "n_epochs": unet.n_epochs_,
        "n_train": len(X_train),
        "n_test": len(X_test),
        "n_test_sequences": n_test_sequences,
        "noise_correlation_px": unet.ensemble_noise_["correlation"],
        "noise_lead_correlation": unet.ensemble_noise_["lead_correlation"],
        "calibration": unet.ensemble_noise_["calibration"],
    }
    if out:
        with open(out, "w") as fh:
            table_json = json.loads(table.to_json(orient="split"))
            by_sequence = {
                name: json.loads(frame.to_json(orient="split"))
                for name, frame in per_sequence.items()
            }
            json.dump(
                {
                    "table": table_json,
                    "extra": extra,
                    "info": info,
                    "per_test_sequence": by_sequence,
                },
                fh,
            )
    return table, cpu, info, per_sequence


#: ``--traffic-corridor``: keyword arguments of ``make_traffic_speeds`` (the
#: seed is added) and the speed that maps to 1 in the heatmaps.
CORRIDORS = {
    # the corridor of the coverage figures since 2026-11-24
    "default": (dict(n_days=28, n_locations=32), 100, 110.0),
    # never used to choose a default: two bottlenecks, faster free flow,
    # more demand and noise
    "two-bottleneck": (
        dict(
            n_days=28,
            n_locations=32,
            free_flow_speed=110.0,
            bottlenecks=(0.4, 0.8),
            bottleneck_capacity=0.6,
            # 1.1 before the demand stopped depending on the bottleneck
            # (2026-12-07): the same demand, frames bit-identical
            demand_scale=1.1 * 0.6 / 0.7,
            noise_std=3.0,
        ),
        7,
        130.0,
    ),
    # a short record: 10 days x 24 locations (174 training windows)
    "short": (dict(n_days=10, n_locations=24), 200, 110.0),
}


def traffic_coverage(random_state: int = 0, corridor: str = "default") -> pd.DataFrame:
    """Coverage of ConvLSTMForecaster's 80 % intervals on held-out traffic.

    Parameters
    ----------
    random_state : int, default=0
        Seed of the forecaster and of its members; the corridor's generator
        seed is ``CORRIDORS[corridor][1] + random_state``.
    corridor : {"default", "two-bottleneck", "short"}, default="default"
        Which simulated corridor (``CORRIDORS``).

    Returns
    -------
    table : DataFrame
        Coverage, mean width and the deterministic forecast's RMSE per
        horizon, with the overall coverage, the number of test and
        calibration windows and the fit time.
    """
    from skseq import ConvLSTMForecaster
    from skseq.datasets import make_traffic_speeds
    from skseq.preprocessing import Heatmapper, sliding_windows

    settings, first_seed, v_max = CORRIDORS[corridor]
    speeds = make_traffic_speeds(**settings, random_state=first_seed + random_state)
    frames = Heatmapper(frame_length=12, vmin=0.0, vmax=v_max).fit_transform(speeds)
    X, y = sliding_windows(frames, n_input=6, n_output=3)
    cut = int(0.75 * len(X))
    test = slice(cut + 2, len(X))  # no test target overlaps a training target
    start = time.perf_counter()
    est = ConvLSTMForecaster(random_state=random_state).fit(X[:cut], y[:cut])
    fit_time = time.perf_counter() - start
    members = v_max * est.predict_ensemble(X[test], 20, random_state=random_state)
    low, high = np.quantile(members, [0.1, 0.9], axis=1)
    truth = v_max * y[test]
    inside = (truth >= low) & (truth <= high)
    error = v_max * est.predict(X[test]) - truth
    return pd.DataFrame(
        {
            "coverage of 80% interval": inside.mean(axis=(0, 2, 3)),
            "mean width (km/h)": (high - low).mean(axis=(0, 2, 3)),
            "RMSE of predict (km/h)": np.sqrt((error**2).mean(axis=(0, 2, 3))),
        },
        index=pd.RangeIndex(1, 4, name="horizon (h)"),
    ).assign(
        overall=float(inside.mean()),
        n_test=len(truth),
        n_calibration=est.n_calibration_samples_,
        fit_time_s=fit_time,
    )


def main(argv=None) -> None:
    parser = skill_parser(
        __doc__,
        "a shorter test sequence (the U-Net still trains its default budget; not "
        "with --traffic)",
    )
    parser.add_argument("--n-threads", type=positive_int, default=1)
    parser.add_argument(
        "--out", default=None, help="JSON file of the results (not with --traffic)"
    )
    parser.add_argument("--traffic", action="store_true")
    parser.add_argument(
        "--traffic-corridor",
        choices=sorted(CORRIDORS),
        default="default",
        help="with --traffic: which simulated corridor",
    )
    parser.add_argument(
        "--unet-pickle",
        default=None,
        help="load the fitted U-Net from this file if it exists, else save it there",
    )
    parser.add_argument(
        "--calibration-sequence",
        action="store_true",
        help="also score the U-Net ensemble re-calibrated (calibrate_ensemble) "
        "on a third, independent sequence of 240 frames",
    )
    parser.add_argument(
        "--test-sequences",
        type=positive_int,
        default=1,
        help="score on the windows of this many independent test sequences "
        "(pooled; CRPS and spread/skill also per sequence)",
    )
    args = parser.parse_args(argv)
    if args.traffic:
        ignored = {
            "--quick": args.quick,
            "--out": args.out is not None,
            "--unet-pickle": args.unet_pickle is not None,
            "--calibration-sequence": args.calibration_sequence,
            "--test-sequences": args.test_sequences != 1,
        }
        given = [option for option, set_ in ignored.items() if set_]
        if given:
            parser.error(f"{', '.join(given)} cannot be used with --traffic")
    import torch

    torch.set_num_threads(args.n_threads)
    if args.traffic:
        with pd.option_context("display.width", 200, "display.precision", 3):
            table = traffic_coverage(args.random_state, args.traffic_corridor)
            print(table.round(3).to_string())
        return
    os.environ.setdefault("PYSTEPS_SILENT_IMPORT", "1")
    table, cpu, info, per_sequence = run(
        args.quick,
        args.random_state,
        args.out,
        args.unet_pickle,
        args.calibration_sequence,
        args.test_sequences,
    )
    with pd.option_context("display.width", 200, "display.precision", 3):
        print(f"random_state={args.random_state} quick={args.quick} {info}")
        print(table.round(3).to_string())
        print(f"CPU time of the ensembles ({N_MEMBERS} members x {N_LEADS} leads):")
        for name, seconds in cpu.items():
            print(
                f"  {name}: {seconds:.1f} s ({seconds / info['n_test']:.3f} s/window)"
            )
        for name, frame in per_sequence.items():
            print(f"per test sequence, {name}:")
            print(frame.round(2).to_string())


if __name__ == "__main__":
    main()
