package io.streamrag.cli.commands;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rag bench}: one entry point for the jobs' benchmarks, which print their figures. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark of the jobs and print its figures: ingest, ocr (image-heavy PDFs: ocr.threads=1 vs default, and a new version with the OCR cache warm), fanout, throughput, adaptive, isolation, cluster (both jobs on the running local cluster at --parallelism N).")
public class BenchCommand implements Callable<Integer> {

    /** Benchmark name → main class; each prints its own figures. */
    static final Map<String, String> BENCHMARKS = new LinkedHashMap<>();

    static {
        BENCHMARKS.put("ingest", "io.streamrag.ingest.bench.IngestBenchmark");
        BENCHMARKS.put("ocr", "io.streamrag.ingest.bench.OcrBenchmark");
        BENCHMARKS.put("fanout", "io.streamrag.query.bench.FanOutBenchmark");
        BENCHMARKS.put("throughput", "io.streamrag.query.bench.ThroughputBenchmark");
        BENCHMARKS.put("adaptive", "io.streamrag.query.bench.AdaptiveSamplingBenchmark");
        BENCHMARKS.put("isolation", "io.streamrag.query.bench.IsolationBenchmark");
        BENCHMARKS.put("cluster", "io.streamrag.cli.chaos.ClusterBenchmark");
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
        String main = BENCHMARKS.get(name);
        if (main == null) {
            System.err.println("Unknown benchmark '" + name + "'; known: " + BENCHMARKS.keySet());
            return 2;
        }
        Method m = Class.forName(main).getMethod("main", String[].class);
        m.invoke(null, (Object) args.toArray(new String[0]));
        return 0;
    }
}
