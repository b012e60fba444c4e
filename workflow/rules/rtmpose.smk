# RTMPose fine-tuned on the COCO sets (rhythm.rtmpose): MMPose's own runner, evaluated on the test set,
# run on the test split's frames. GPU rules: the profiles send them to GPU nodes; without a GPU they
# run on the CPU. The stage runs only where rhythm.pipeline.rtmpose says so (common.smk: RTMPOSE).


rule train_rtmpose:
    input:
        coco=expand(
            "results/{{dataset}}/rtmpose_dataset/{split}/annotations/{split}.json", split=("train", "val", "test")
        ),
    output:
        best="results/{dataset}/rtmpose/{run}/checkpoints/best.pth",
        last="results/{dataset}/rtmpose/{run}/checkpoints/last.pth",
        config="results/{dataset}/rtmpose/{run}/config.py",
        scalars="results/{dataset}/rtmpose/{run}/scalars.json",
        curve=report(
            "results/{dataset}/rtmpose/{run}/curve.png",
            caption="../report/rtmpose_curve.rst",
            category="RTMPose",
        ),
        summary="results/{dataset}/rtmpose/{run}/summary.json",
    log:
        "logs/train_rtmpose/{dataset}/{run}.log",
    conda:
        ENV
    threads: 2
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=240,
    params:
        coco=lambda wc, input: str(Path(input.coco[0]).parents[2]),  # rtmpose_dataset/train/annotations/train.json
        out=lambda wc, output: str(Path(output.config).parent),
        opts=RTMPOSE_OPTS,
    shell:
        "OMP_NUM_THREADS={threads} rhythm rtmpose-train {params.coco:q} --out {params.out:q} {params.opts}"
        " > {log:q} 2>&1"


rule evaluate_rtmpose:
    input:
        checkpoint="results/{dataset}/rtmpose/{run}/checkpoints/best.pth",
        test="results/{dataset}/rtmpose_dataset/test/annotations/test.json",
    output:
        metrics="results/{dataset}/rtmpose/{run}/metrics.json",
        predictions="results/{dataset}/rtmpose/{run}/predictions.json",
    log:
        "logs/evaluate_rtmpose/{dataset}/{run}.log",
    conda:
        ENV
    threads: 2
    resources:
        gpu=1,
        mem_mb=8000,
        runtime=60,
    params:
        coco=lambda wc, input: str(Path(input.test).parents[2]),
        opts=RTMPOSE_OPTS,
    shell:
        "OMP_NUM_THREADS={threads} rhythm rtmpose-evaluate {params.coco:q} --checkpoint {input.checkpoint:q}"
        " --out {output.metrics:q} --predictions {output.predictions:q} --run {wildcards.run} {params.opts}"
        " > {log:q} 2>&1"


rule rtmpose_infer:
    input:
        checkpoint="results/{dataset}/rtmpose/{run}/checkpoints/best.pth",
        config="results/{dataset}/rtmpose/{run}/config.py",
        mapping="results/{dataset}/frames/{video}/frame_mapping.json",
        boxes="results/{dataset}/rtmpose_dataset/test/annotations/test.json",
    output:
        "results/{dataset}/rtmpose/{run}/keypoints2d/{video}.pkl",
    log:
        "logs/rtmpose_infer/{dataset}/{run}/{video}.log",
    conda:
        ENV
    threads: 2
    resources:
        gpu=1,
        mem_mb=4000,
        runtime=30,
    params:
        frames=lambda wc, input: str(Path(input.mapping).parent),
    shell:
        "OMP_NUM_THREADS={threads} rhythm rtmpose-infer --checkpoint {input.checkpoint:q} --config {input.config:q}"
        " --frames {params.frames:q} --boxes {input.boxes:q} --out {output:q} --quiet > {log:q} 2>&1"
