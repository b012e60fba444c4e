# Whole-body 3D landmarks (T, K, 4): RTMDet person boxes + RTMW3D keypoints, per video and per manifest
# segment (docs/landmarks.md). GPU rules: the profiles send them to GPU nodes; without a GPU they run
# on the CPU. The stage runs only where rhythm.pipeline.landmarks says so (common.smk: LANDMARKS).


rule landmarks:
    input:
        video=source_video,
        detector=LANDMARKS.detector,
        pose=LANDMARKS.pose,
    output:
        npy="results/{dataset}/landmarks/{video}.npy",
        json="results/{dataset}/landmarks/{video}.json",
    log:
        "logs/landmarks/{dataset}/{video}.log",
    conda:
        ENV
    threads: 4
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    params:
        opts=LANDMARK_OPTS,
    shell:
        "rhythm landmarks {input.video:q} --out {output.npy:q} --detector {input.detector:q} --pose {input.pose:q}"
        " {params.opts} --threads {threads} --quiet > {log:q} 2>&1"


rule landmarks_segment:
    input:
        video=segment_video,
        detector=LANDMARKS.detector,
        pose=LANDMARKS.pose,
    output:
        npy="results/{dataset}/landmarks/segments/{segment}.npy",
        json="results/{dataset}/landmarks/segments/{segment}.json",
    log:
        "logs/landmarks_segment/{dataset}/{segment}.log",
    conda:
        ENV
    threads: 4
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=30,
    params:
        opts=LANDMARK_OPTS,
        span=segment_span,
    shell:
        "rhythm landmarks {input.video:q} --out {output.npy:q} --detector {input.detector:q} --pose {input.pose:q}"
        " {params.span} {params.opts} --threads {threads} --quiet > {log:q} 2>&1"


rule landmarks_validate:
    input:
        TARGETS.landmark_arrays(),
    output:
        "results/{dataset}/reports/landmarks_validation.json",
    log:
        "logs/landmarks_validate/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        folder="results/{dataset}/landmarks",
        keypoints=LANDMARKS.num_keypoints,
        opts=LANDMARK_VALIDATE_OPTS,
    shell:
        "rhythm landmarks-validate {params.folder:q} --num-keypoints {params.keypoints} {params.opts} --out {output:q} > {log:q} 2>&1"
