# The dataset itself: the generated demo AIST++ tree (real data is read in place), videos linked in.


if IS_DEMO:
    _recipe = demo_recipe(config)

    rule demo_data:
        output:
            annotations=[
                str(path(ANNO, seq))
                for seq in _recipe.sequences
                for path in (aist.keypoints2d_path, aist.keypoints3d_path, aist.motion_path)
            ]
            + [f"{ANNO}/splits/{s}.txt" for s in aist.SPLITS]
            + [f"{ANNO}/ignore_list.txt", f"{ANNO}/cameras/mapping.txt", f"{ANNO}/cameras/setting1.json"],
            videos=[f"{VIDEO_DIR}/{v}.mp4" for v in _recipe.videos()],
        log:
            "logs/demo_data/demo_data.log",
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            # the folders, derived from the outputs: .../annotations/keypoints2d/<seq>.pkl
            anno=lambda wc, output: str(Path(output.annotations[0]).parent.parent),
            videos=lambda wc, output: str(Path(output.videos[0]).parent),
            out=lambda wc, output: str(Path(output.annotations[0]).parent.parent.parent),
            opts=config_flags(DemoRecipe, config["demo"]),
        shell:
            "rhythm demo-data {params.out:q} --anno-dir {params.anno:q} --video-dir {params.videos:q}"
            " {params.opts} > {log:q} 2>&1"


rule link_video:
    input:
        f"{VIDEO_DIR}/{{video}}.mp4",
    output:
        "results/{dataset}/videos/{video}.mp4",
    log:
        "logs/link_video/{dataset}/{video}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=200,
        runtime=5,
    shell:
        "rhythm link-video {input:q} {output:q} > {log:q} 2>&1"


# A video missing from data.video_dir is downloaded instead (download.enabled, terms accepted).
if config["download"]["enabled"]:

    ruleorder: link_video > download_video

    rule download_video:
        input:
            keypoints=keypoints2d_of_video,
        output:
            "results/{dataset}/videos/{video}.mp4",
        log:
            "logs/download_video/{dataset}/{video}.log",
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=300,
            runtime=60,
            downloads=1,  # `--resources downloads=4` caps parallel downloads
        params:
            opts=config_flags(DownloadOptions, config["download"]),
            anno=ANNO,
            out="results/{dataset}/videos",
            manual=f"{VIDEO_DIR}/{{video}}.mp4",
        shell:
            "rhythm download --accept-terms-of-use --video {wildcards.video} --anno-dir {params.anno:q}"
            " --out {params.out:q} {params.opts} --manual-dest {params.manual:q} > {log:q} 2>&1"


# keypoints2d from your own detections (data.keypoints2d_source: alphapose, openpose or mmpose): one AIST++
# keypoints2d pickle per sequence, its cameras' detections stacked (docs/reconstruction.md).
if KP2D_SOURCE != "annotations":

    rule import_keypoints:
        input:
            detections_of_sequence,
        output:
            f"{OUT}/annotations/keypoints2d/{{sequence}}.pkl",
        log:
            "logs/import_keypoints/{sequence}.log",
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            fmt=KP2D_SOURCE,
            cameras=detection_cameras,
        shell:
            "rhythm import-keypoints {input:q} --format {params.fmt} --camera {params.cameras}"
            " --out {output:q} > {log:q} 2>&1"
