# Frames aligned with the 60 fps annotations: one ffmpeg decoder per video, JPEGs encoded on every thread.


rule extract_frames:
    input:
        video=source_video,
        keypoints=keypoints2d_of_video,
    output:
        "results/{dataset}/frames/{video}/frame_mapping.json",
    log:
        "logs/extract_frames/{dataset}/{video}.log",
    conda:
        ENV
    threads: 2
    resources:
        mem_mb=1000,
        runtime=20,
    params:
        anno=STAGE_ANNO,
        out="results/{dataset}/frames/{video}",
        opts=FRAME_OPTS,
    shell:
        "rhythm frames {input.video:q} --anno-dir {params.anno:q} --out {params.out:q} {params.opts}"
        " --workers {threads} > {log:q} 2>&1"
