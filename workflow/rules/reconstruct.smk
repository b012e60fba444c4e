# Multi-view reconstruction from keypoints2d: keypoints3d by triangulation (rhythm.reconstruction.triangulation),
# camera settings by bundle adjustment (rhythm.reconstruction.calibration), SMPL motions by skeleton fitting
# (rhythm.reconstruction.fitting), and one JSON of their errors. Off unless config reconstruction.enabled; the
# targets are RECON.targets() (rhythm.pipeline.reconstruction) and the input functions live in common.smk.


rule triangulate:
    input:
        keypoints=keypoints2d_of_sequence,
        cameras=triangulation_cameras,
        reference=official_keypoints3d,
    output:
        keypoints3d="results/{dataset}/reconstruction/keypoints3d/{sequence}.pkl",
        report="results/{dataset}/reconstruction/keypoints3d/{sequence}.json",
    log:
        "logs/triangulate/{dataset}/{sequence}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        anno=STAGE_ANNO,
        reference=lambda wc, input: " ".join(f"--reference {shlex.quote(r)}" for r in input.reference),
        opts=TRIANGULATE_OPTS,
    shell:
        "rhythm triangulate --anno-dir {params.anno:q} --sequence {wildcards.sequence} --cameras {input.cameras:q}"
        " --out {output.keypoints3d:q} --report {output.report:q} {params.reference} {params.opts} > {log:q} 2>&1"


rule calibrate:
    input:
        keypoints=calibration_keypoints,
        initial=initial_cameras,
    output:
        cameras="results/{dataset}/reconstruction/cameras/{setting}.json",
        report="results/{dataset}/reconstruction/cameras/{setting}.report.json",
    log:
        "logs/calibrate/{dataset}/{setting}.log",
    wildcard_constraints:
        setting=r"setting\d+(_\d+)?",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        anno=STAGE_ANNO,
        sequences=calibration_sequence_names,
        reference=lambda wc: f"{ANNO}/cameras/{wc.setting}.json",
        opts=CALIBRATE_OPTS,
    shell:
        "rhythm calibrate --anno-dir {params.anno:q} --setting {wildcards.setting} --initial {input.initial:q}"
        " --sequences {params.sequences} --reference {params.reference:q} --out {output.cameras:q}"
        " --report {output.report:q} {params.opts} > {log:q} 2>&1"


rule fit_smpl:
    input:
        fitting_source,
    output:
        motion="results/{dataset}/reconstruction/motions/{sequence}.pkl",
        report="results/{dataset}/reconstruction/motions/{sequence}.json",
    log:
        "logs/fit_smpl/{dataset}/{sequence}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        opts=FIT_OPTS,
    shell:
        "rhythm fit-smpl --keypoints3d {input:q} --out {output.motion:q} --report {output.report:q} {params.opts}"
        " > {log:q} 2>&1"


rule reconstruction_errors:
    input:
        **RECON.reports(),
    output:
        "results/{dataset}/reconstruction/errors.json",
    log:
        "logs/reconstruction_errors/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "rhythm reconstruction-errors --triangulation {input.triangulation:q} --fitting {input.fitting:q}"
        " --calibration {input.calibration:q} --out {output:q} > {log:q} 2>&1"
