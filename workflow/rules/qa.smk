# QA overlays: stick figures over the aligned frames (PNG frames + MP4 with the music).


rule overlay:
    input:
        mapping="results/{dataset}/frames/{video}/frame_mapping.json",
        keypoints=keypoints2d_of_video,
        video="results/{dataset}/videos/{video}.mp4",
    output:
        "results/{dataset}/overlays/{video}/overlay.mp4",
    params:
        anno=ANNO,
        frames=subpath(input.mapping, parent=True),
        out=subpath(output[0], parent=True),
        opts=lambda wc: "--mode {mode} --min-confidence {min_confidence} --limit {limit}".format(
            **config["overlays"]
        ),
    log:
        "logs/overlay/{dataset}/{video}.log",
    conda:
        ENV
    resources:
        mem_mb=1000,
        runtime=20,
    shell:
        "rhythm overlay {params.frames} --anno-dir {params.anno} --out {params.out} {params.opts}"
        " --audio {input.video} > {log} 2>&1"


rule reprojection:
    input:
        unpack(reprojection_inputs),
    output:
        "results/{dataset}/reports/reprojection/{sequence}.json",
    params:
        anno=ANNO,
    log:
        "logs/reprojection/{dataset}/{sequence}.log",
    conda:
        ENV
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rhythm reprojection --anno-dir {params.anno} --sequence {wildcards.sequence} --json"
        " --out {output} > {log} 2>&1"
