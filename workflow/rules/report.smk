# The data report: what is there, what is missing, and what the run built.


rule data_report:
    input:
        splits=split_files(),
        frames=frame_targets(),
        beats=beat_targets(),
        poses=pose_targets(),
        coco=coco_targets(),
        overlays=overlay_targets(),
        reprojection=reprojection_targets(),
        reconstruction=reconstruction_targets(),
        landmarks=landmark_reports(),
        beat_plots=beat_plot_targets(),
    output:
        json="results/{dataset}/reports/data_report.json",
        text=report(
            "results/{dataset}/reports/data_report.txt",
            caption="../report/data_report.rst",
            category="Data report",
        ),
        html="results/{dataset}/reports/data_report.html",
    params:
        anno=lambda wc, input: str(Path(input.splits[0]).parent.parent),  # <anno>/splits/x.txt
        selection=selection_args(),
        videos=VIDEO_DIR,
        reconstruction=lambda wc, input: (
            f"--reconstruction {input.reconstruction}" if input.reconstruction else ""
        ),
        landmarks_skipped=landmarks_skipped_option(),
    log:
        "logs/data_report/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "rhythm report --anno-dir {params.anno} --video-dir {params.videos} {params.selection}"
        " --frames {input.frames} --beats {input.beats} --poses {input.poses} --coco {input.coco}"
        " --overlays {input.overlays} --reprojection {input.reprojection} {params.reconstruction}"
        " --landmarks {input.landmarks} {params.landmarks_skipped} --beat-plots {input.beat_plots} --out-json {output.json}"
        " --out-text {output.text} --out-html {output.html} > {log} 2>&1"
