# The dataset browser (rhythm.browser, docs/browser.md): static pages over the run's outputs, opened
# from disk; a model run's page of generated dances; screenshots of them for the Snakemake report.


rule browser:
    input:
        report="results/{dataset}/reports/data_report.json",
        sequences="results/{dataset}/reports/sequences.csv",
        audio=TARGETS.audio(),
        poses=TARGETS.poses(),
        smpl=TARGETS.smpl(),
        reconstruction=RECON.targets(),
    output:
        "results/{dataset}/browser/index.html",
    log:
        "logs/browser/{dataset}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        results=lambda wc: f"results/{wc.dataset}",
        anno=STAGE_ANNO,
        videos=VIDEO_DIR,
        copy_media=BROWSER_COPY,
    shell:
        "rhythm browser --report {input.report:q} --sequences {input.sequences:q} --results {params.results:q}"
        " --anno-dir {params.anno:q} --video-dir {params.videos:q} --out {output:q} {params.copy_media} > {log:q} 2>&1"


rule model_browser:
    input:
        metrics="results/generated/{run}/metrics.json",
        report="results/generated/{run}/report.md",
        beats=TARGETS.beats(),
        audio=TARGETS.audio(),
    output:
        "results/generated/{run}/browser/index.html",
    log:
        "logs/model_browser/{run}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        generated=lambda wc, input: str(Path(input.metrics).parent),
        results=lambda wc, input: str(Path(input.audio[0]).parent.parent) if input.audio else OUT,  # <results>/audio/x.wav
        copy_media=BROWSER_COPY,
        units=config["poses"]["units"],
    shell:
        "rhythm model-browser --generated {params.generated:q} --results {params.results:q} --out {output:q}"
        " --units {params.units} {params.copy_media} > {log:q} 2>&1"


# Needs headless Chromium (chromium, chromium-driver, selenium): planned only where they are installed
# (browser.screenshots: auto), or required (true). The sequence page shown is the first one built.
rule browser_screenshot:
    input:
        "results/{dataset}/browser/index.html",
    output:
        report(
            "results/{dataset}/reports/browser/{page}.png",
            caption="../report/browser.rst",
            category="Dataset browser",
        ),
    log:
        "logs/browser_screenshot/{dataset}/{page}.log",
    wildcard_constraints:
        page="index|sequence",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        page=lambda wc, input: str(Path(input[0]).parent / f"{wc.page}.html"),
        out=lambda wc, output: str(Path(output[0]).parent),
    shell:
        "rhythm browser-screenshots --page {wildcards.page}={params.page:q} --out-dir {params.out:q} > {log:q} 2>&1"


rule model_browser_screenshot:
    input:
        "results/generated/{run}/browser/index.html",
    output:
        report(
            "results/generated/{run}/reports/browser/model.png",
            caption="../report/browser.rst",
            category="Dataset browser",
        ),
    log:
        "logs/model_browser_screenshot/{run}.log",
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        out=lambda wc, output: str(Path(output[0]).parent),
    shell:
        "rhythm browser-screenshots --page model={input:q} --out-dir {params.out:q} > {log:q} 2>&1"
