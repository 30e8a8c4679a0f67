package io.streamrag.cli.commands;

import io.streamrag.bench.ingest.IngestBenchmark;
import io.streamrag.bench.ingest.OcrBenchmark;
import io.streamrag.bench.query.AdaptiveSamplingBenchmark;
import io.streamrag.bench.query.FanOutBenchmark;
import io.streamrag.bench.query.IsolationBenchmark;
import io.streamrag.bench.query.ThroughputBenchmark;
import io.streamrag.cli.chaos.ClusterBenchmark;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rag bench}: one entry point for the jobs' benchmarks, which print their figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark of the jobs and print its figures: ingest (issue 12's figures: --parts e2e,backfill,ocr --manuals DIR --rounds N), ocr (image-heavy PDFs: ocr.threads=1 vs default, and a new version with the OCR cache warm), fanout, throughput, adaptive, isolation, cluster (both jobs on the running local cluster at --parallelism N).")
public class BenchCommand implements Callable<Integer> {

    /** A benchmark's {@code main}. */
    @FunctionalInterface
    interface Main {
        void run(String[] args) throws Exception;
    }

    /** Benchmark name → its main; each prints its own figures. */
    static final Map<String, Main> BENCHMARKS = new LinkedHashMap<>();

    static {
        BENCHMARKS.put("ingest", IngestBenchmark::main);
        BENCHMARKS.put("ocr", OcrBenchmark::main);
        BENCHMARKS.put("fanout", FanOutBenchmark::main);
        BENCHMARKS.put("throughput", ThroughputBenchmark::main);
        BENCHMARKS.put("adaptive", AdaptiveSamplingBenchmark::main);
        BENCHMARKS.put("isolation", IsolationBenchmark::main);
        BENCHMARKS.put("cluster", ClusterBenchmark::main);
    }

    /** Names accepted on the command line. */
    static final class Names extends ArrayList<String> {
        Names() {
            super(BENCHMARKS.keySet());
        }
    }

    @Parameters(index = "0", completionCandidates = Names.class, paramLabel = "NAME", description = "Benchmark: ${COMPLETION-CANDIDATES}.")
    String name;

    /** Everything after NAME, options included, goes to the benchmark's own main. */
    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Main main = BENCHMARKS.get(name);
        if (main == null) {
            System.err.println("Unknown benchmark '" + name + "'; known: " + BENCHMARKS.keySet());
            return 2;
        }
        main.run(args.toArray(new String[0]));
        return 0;
    }
}
