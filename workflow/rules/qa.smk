# QA overlays: stick figures over the aligned frames (PNG frames + MP4 with the music).


rule overlay:
    input:
        mapping="results/{dataset}/frames/{video}/frame_mapping.json",
        keypoints=keypoints2d_of_video,
        video=source_video,
    output:
        "results/{dataset}/overlays/{video}/overlay.mp4",
    log:
        "logs/overlay/{dataset}/{video}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        anno=STAGE_ANNO,
        out="results/{dataset}/overlays/{video}",
        opts=OVERLAY_OPTS,
    shell:
        "rhythm overlay {input.mapping:q} --anno-dir {params.anno:q} --out {params.out:q} {params.opts}"
        " --audio {input.video:q} > {log:q} 2>&1"


rule reprojection:
    input:
        unpack(reprojection_inputs),
    output:
        "results/{dataset}/reports/reprojection/{sequence}.json",
    log:
        "logs/reprojection/{dataset}/{sequence}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        anno=STAGE_ANNO,
    shell:
        "rhythm reprojection --anno-dir {params.anno:q} --sequence {wildcards.sequence} --json"
        " --out {output:q} > {log:q} 2>&1"
