# The data report: what is there, what is missing, and what the run built.


rule data_report:
    input:
        splits=TARGETS.split_files(),
        frames=TARGETS.frames(),
        beats=TARGETS.beats(),
        music=TARGETS.music_reports(),
        poses=TARGETS.poses(),
        coco=TARGETS.coco(),
        overlays=TARGETS.overlays(),
        reprojection=TARGETS.reprojection(),
        reconstruction=RECON.targets(),
        landmarks=TARGETS.landmark_reports(),
        rtmpose=TARGETS.rtmpose_metrics(),
        beat_plots=TARGETS.beat_plots(),
    output:
        json="results/{dataset}/reports/data_report.json",
        text=report(
            "results/{dataset}/reports/data_report.txt",
            caption="../report/data_report.rst",
            category="Data report",
        ),
        html="results/{dataset}/reports/data_report.html",
        splits_csv="results/{dataset}/reports/splits.csv",
        sequences_csv="results/{dataset}/reports/sequences.csv",
    log:
        "logs/data_report/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        anno=lambda wc, input: str(Path(input.splits[0]).parent.parent),  # <anno>/splits/x.txt
        selection=SELECTION_ARGS,
        notes=TARGETS.note_flags(),
        videos=VIDEO_DIR,
        reconstruction=lambda wc, input: (
            f"--reconstruction {shlex.quote(str(input.reconstruction))}" if input.reconstruction else ""
        ),
        landmarks_skipped=LANDMARKS_SKIPPED,
        rtmpose=lambda wc, input: (
            f"--rtmpose {shlex.quote(str(input.rtmpose))}"
            if input.rtmpose
            else f"--rtmpose-skipped {shlex.quote(RTMPOSE.reason or 'not planned')}"
        ),
    shell:
        "rhythm report --anno-dir {params.anno:q} --video-dir {params.videos:q} {params.selection}"
        " --frames {input.frames:q} --beats {input.beats:q} --music {input.music:q} --poses {input.poses:q} --coco {input.coco:q}"
        " --overlays {input.overlays:q} --reprojection {input.reprojection:q} {params.reconstruction}"
        " --landmarks {input.landmarks:q} {params.landmarks_skipped} {params.rtmpose} {params.notes} --beat-plots {input.beat_plots:q}"
        " --out-json {output.json:q} --out-text {output.text:q} --out-html {output.html:q}"
        " --out-splits-csv {output.splits_csv:q} --out-sequences-csv {output.sequences_csv:q} > {log:q} 2>&1"
