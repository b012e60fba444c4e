# COCO keypoint datasets for RTMPose, and the MMPose config that trains on them.


rule coco_split:
    input:
        mappings=coco_frame_mappings,
        splits=TARGETS.split_files(),
    output:
        annotations="results/{dataset}/rtmpose_dataset/{split}/annotations/{split}.json",
        config="results/{dataset}/rtmpose_dataset/rtmpose_{split}.py",
    log:
        "logs/coco_split/{dataset}/{split}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        anno=lambda wc, input: str(Path(input.splits[0]).parent.parent),  # <anno>/splits/x.txt
        out=lambda wc, output: str(Path(output.annotations).parent.parent),
        frames=lambda wc, input: [str(Path(m).parent) for m in input.mappings],
        opts=COCO_OPTS,
    shell:
        "rhythm coco --split {wildcards.split} --anno-dir {params.anno:q} --frames {params.frames:q}"
        " --out {params.out:q} {params.opts} --mmpose-config {output.config:q} > {log:q} 2>&1"
