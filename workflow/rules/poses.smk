# 3D poses: (T, 17, 3) float32 arrays from the keypoints3d pickles.


rule poses:
    input:
        keypoints3d_of_sequence,
    output:
        "results/{dataset}/poses/{sequence}.npy",
    log:
        "logs/poses/{dataset}/{sequence}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    params:
        opts=POSE_OPTS,
    shell:
        "rhythm poses {input:q} --out {output:q} {params.opts} > {log:q} 2>&1"


rule smpl_joints:
    input:
        motion_of_sequence,
    output:
        joints="results/{dataset}/smpl/{sequence}.joints.npy",
        params="results/{dataset}/smpl/{sequence}.params.npy",
    log:
        "logs/smpl_joints/{dataset}/{sequence}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "rhythm smpl {input:q} --joints {output.joints:q} --params {output.params:q} > {log:q} 2>&1"


rule audio2pose_layout:
    input:
        poses=lambda wc: [f"{OUT}/poses/{s}.npy" for s in TARGETS.audio2pose_sequences()],
        audio=lambda wc: [f"{OUT}/audio/{m}.wav" for m in PLAN.music],
        beats=TARGETS.beats(),
    output:
        "results/{dataset}/audio2pose/index.json",
    log:
        "logs/audio2pose_layout/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=200,
        runtime=5,
    params:
        results=lambda wc, output: str(Path(output[0]).parent.parent),
        out=subpath(output[0], parent=True),
        sequences=TARGETS.audio2pose_sequences(),
        camera=config["audio2pose"]["camera"],
        pose_fps=config["poses"]["fps"],
    shell:
        "rhythm audio2pose-layout --results {params.results:q} --sequences {params.sequences}"
        " --out {params.out:q} --camera {params.camera} --pose-fps {params.pose_fps} > {log:q} 2>&1"
