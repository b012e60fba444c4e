"""``rhythm triangulate``, ``calibrate``, ``fit-smpl``, ``reconstruction-errors``, ``reprojection``."""

from __future__ import annotations

import argparse
import json

from rhythm.core.options import add_options, from_args
from rhythm.reconstruction.calibration import CalibrationOptions
from rhythm.reconstruction.fitting import FitOptions
from rhythm.reconstruction.triangulation import TriangulationOptions


def triangulate_command(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.triangulation import triangulate_file

    opts = from_args(TriangulationOptions, args, **({"optimise": False} if args.no_optimise else {}))
    result = triangulate_file(
        args.anno_dir,
        args.sequence,
        args.out,
        opts,
        cameras_json=args.cameras,
        reference=args.reference,
        report_out=args.report,
    )
    rep = result.report
    print(
        f"{rep['sequence']}: {rep['frames']} frames from {', '.join(rep['used_views'])}; "
        f"reprojection median {rep['reprojection']['median_px']} px -> {args.out}"
    )
    for view, why in rep["dropped_views"].items():
        print(f"  dropped {view}: {why.get('verdict', why['reason'])}")
    for name, stats in rep.get("reference", {}).items():
        if name != "file":
            print(f"  {name}: median {stats['median']:.3f}, p95 {stats['p95']:.3f}")


def calibrate_command(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.calibration import calibrate_files

    result = calibrate_files(
        args.anno_dir,
        args.setting,
        args.out,
        initial=args.initial,
        sequences=args.sequences,
        max_sequences=args.max_sequences,
        options=from_args(CalibrationOptions, args),
        reference=args.reference,
        report_out=args.report,
    )
    rep = result.report
    errors = "; ".join(f"{k} {v['median_px']:.2f} px" for k, v in rep["reprojection_px"].items())
    print(f"{args.setting}: {len(rep['sequences'])} sequences; median reprojection {errors} -> {args.out}")
    for seq, dropped in rep["dropped_views"].items():
        for view, why in dropped.items():
            print(f"  {seq} {view}: dropped ({why.get('verdict', why['reason'])})")


def fit_smpl_command(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.fitting import PUBLIC_SKELETON, fit_file, skeleton_from_smpl_model

    skeleton = PUBLIC_SKELETON
    if args.smpl_model:
        skeleton = skeleton_from_smpl_model(args.smpl_model, args.gender, args.betas)
    fit = fit_file(
        args.keypoints3d,
        args.out,
        optim=args.optim,
        skeleton=skeleton,
        options=from_args(FitOptions, args),
        report_out=args.report,
    )
    rep = fit.report
    print(
        f"{args.out}: {rep['frames']} frames, {rep['skeleton']}, scaling {rep['scaling']:.3f}; "
        f"mean joint error {rep['mpjpe_body']:.2f} (body), {rep['mpjpe_face']:.2f} (face), {rep['seconds']} s"
    )


def reconstruction_errors_command(args: argparse.Namespace) -> None:
    from rhythm.reconstruction.errors import write_reconstruction_errors

    errors = write_reconstruction_errors(args.out, args.triangulation, args.fitting, args.calibration)
    print(json.dumps(errors["summary"], indent=2))


def reprojection_command(args: argparse.Namespace) -> None:
    from rhythm.core.io import write_json
    from rhythm.reconstruction.reprojection import reprojection_errors

    result = reprojection_errors(args.anno_dir, args.sequence, optim=args.optim)
    if args.out:
        write_json(args.out, result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for cam, err in result["median_px"].items():
            flag = "  <- outlier" if cam in result["outliers"] else ""
            print(f"{cam}: {err:8.2f} px{flag}")


def register(sub) -> None:
    p = sub.add_parser("triangulate", help="keypoints3d from multi-view keypoints2d, dropping bad views")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations (keypoints2d/, cameras/)")
    p.add_argument("--sequence", required=True, help="sequence name, e.g. gBR_sBM_cAll_d04_mBR0_ch01")
    p.add_argument("--out", required=True, help="keypoints3d pickle (AIST++ format)")
    p.add_argument("--report", default=None, help="JSON report: per-view errors, dropped views")
    p.add_argument("--cameras", default=None, help="camera setting JSON (default: through cameras/mapping.txt)")
    p.add_argument("--reference", default=None, help="official keypoints3d pickle to measure against")
    add_options(p, TriangulationOptions)
    p.add_argument("--no-optimise", action="store_true", help="the same as --optimise false")
    p.set_defaults(func=triangulate_command)

    p = sub.add_parser("calibrate", help="refine a camera setting by bundle adjustment of keypoints2d")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations (keypoints2d/, cameras/mapping.txt)")
    p.add_argument("--setting", required=True, help="setting name, e.g. setting1 (sequences via mapping.txt)")
    p.add_argument("--out", required=True, help="refined setting JSON (AIST++ format)")
    p.add_argument("--initial", default=None, help="the rough guess (default: <anno-dir>/cameras/<setting>.json)")
    p.add_argument("--sequences", nargs="*", default=None, help="sequences to use (default: all of the setting)")
    p.add_argument("--max-sequences", type=int, default=None, help="use at most this many")
    p.add_argument("--reference", default=None, help="a setting JSON to measure the result against")
    p.add_argument("--report", default=None, help="JSON report: errors before/after, dropped views")
    add_options(p, CalibrationOptions)
    p.set_defaults(func=calibrate_command)

    p = sub.add_parser("fit-smpl", help="SMPL rotations, translation and scale (motions pickle) from keypoints3d")
    p.add_argument("--keypoints3d", required=True, help="keypoints3d pickle (COCO-17)")
    p.add_argument("--out", required=True, help="motions pickle (AIST++ format, the SMPL convention)")
    p.add_argument("--report", default=None, help="JSON report: joint errors, scale")
    p.add_argument("--optim", action="store_true", help="fit keypoints3d_optim")
    p.add_argument(
        "--smpl-model",
        default=None,
        help="SMPL model folder or file (needs the optional smplx package); default: public offsets",
    )
    p.add_argument(
        "--gender",
        default="neutral",
        choices=["neutral", "female", "male"],
        help="SMPL model gender (with --smpl-model)",
    )
    p.add_argument("--betas", type=float, nargs="*", default=None, help="body shape of the SMPL model")
    add_options(p, FitOptions)
    p.set_defaults(func=fit_smpl_command)

    p = sub.add_parser("reconstruction-errors", help="one JSON of the reconstruction reports, for the data report")
    p.add_argument("--triangulation", nargs="*", default=[], help="reports of rhythm triangulate")
    p.add_argument("--fitting", nargs="*", default=[], help="reports of rhythm fit-smpl")
    p.add_argument("--calibration", nargs="*", default=[], help="reports of rhythm calibrate")
    p.add_argument("--out", required=True, help="the errors JSON to write")
    p.set_defaults(func=reconstruction_errors_command)

    p = sub.add_parser("reprojection", help="per-camera pixel error of keypoints3d against keypoints2d")
    p.add_argument("--anno-dir", required=True, help="AIST++ annotations folder")
    p.add_argument("--sequence", required=True, help="sequence name, e.g. gBR_sBM_cAll_d04_mBR0_ch01")
    p.add_argument("--optim", action="store_true", help="use keypoints3d_optim")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", default=None, help="also write the JSON here")
    p.set_defaults(func=reprojection_command)
