package io.streamrag.cli.commands;

import io.streamrag.bench.ingest.IngestBenchmark;
import io.streamrag.bench.ingest.OcrBenchmark;
import io.streamrag.bench.ingest.TenantRateBenchmark;
import io.streamrag.bench.query.AdaptiveSamplingBenchmark;
import io.streamrag.bench.query.FanOutBenchmark;
import io.streamrag.bench.query.IsolationBenchmark;
import io.streamrag.bench.query.ThroughputBenchmark;
import io.streamrag.cli.chaos.ClusterBenchmark;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rag bench}: one entry point for the jobs' benchmarks, which print their figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark of the jobs and print its figures: ingest (issue 12's figures: --parts e2e,backfill,ocr --manuals DIR --rounds N), ocr (image-heavy PDFs: ocr.threads=1 vs default, and a new version with the OCR cache warm), fanout, throughput, adaptive, isolation, tenants (one tenant's backlog of documents, without and with ingest.tenant.document-rate: --flood N --rate R), cluster (both jobs on the running local cluster at --parallelism N).")
public class BenchCommand implements Callable<Integer> {

    /** A benchmark's {@code main}. */
    @FunctionalInterface
    interface Main {
        void run(String[] args) throws Exception;
    }

    /** The benchmarks, by the name given on the command line; each prints its own figures. */
    enum Benchmark {
        ingest(IngestBenchmark::main),
        ocr(OcrBenchmark::main),
        fanout(FanOutBenchmark::main),
        throughput(ThroughputBenchmark::main),
        adaptive(AdaptiveSamplingBenchmark::main),
        isolation(IsolationBenchmark::main),
        tenants(TenantRateBenchmark::main),
        cluster(ClusterBenchmark::main);

        final Main main;

        Benchmark(Main main) {
            this.main = main;
        }
    }

    @Parameters(index = "0", paramLabel = "NAME", description = "Benchmark: ${COMPLETION-CANDIDATES}.")
    Benchmark name;

    /** Everything after NAME, options included, goes to the benchmark's own main. */
    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        name.main.run(args.toArray(new String[0]));
        return 0;
    }
}
