package io.streamrag.bench.ingest;

import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch.nodes.Stats;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * CPU seconds a benchmark phase cost, read before and after it: this JVM's (the job runs in it) split into ONNX
 * embedding threads, JIT compiler threads and the rest, and the OpenSearch node's; unlike a wall-clock ratio this
 * does not depend on what else the machine runs (OpenSearch's figure does include other clients of a shared node).
 * With them the node's refreshes (every index's, made searchable): each one writes a segment that later merges cost,
 * and the whole machine's busy CPU (/proc/stat) over the wall-clock time, so that what ran outside this JVM and
 * OpenSearch during a phase (Kafka, and anything else on a shared machine) is a figure rather than a guess.
 */
record CpuUse(double jvm, double onnx, double jit, double openSearch, double refreshes, double machine, double wall) {

    /** Linux's clock ticks per second for /proc/PID/task/TID/stat (USER_HZ, 100 on every mainstream kernel). */
    private static final double TICKS_PER_SECOND = 100.0;

    /** CPU seconds used so far; thread figures are NaN where /proc is not readable, OpenSearch's where the node does not say. */
    static CpuUse now(OpenSearchClient search) {
        double jvm = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
        double[] threads = threadSeconds();
        double openSearch = 0;
        double refreshes = 0;
        try {
            for (Stats node : search.nodes().stats(s -> s.metric("process", "indices").indexMetric("refresh")).nodes().values()) {
                openSearch += node.process().cpu().totalInMillis() / 1000.0;
                refreshes += node.indices().refresh().externalTotal();
            }
        } catch (IOException | RuntimeException e) {
            openSearch = Double.NaN;
            refreshes = Double.NaN;
        }
        return new CpuUse(jvm, threads[0], threads[1], openSearch, refreshes, machineSeconds(), System.nanoTime() / 1e9);
    }

    /** Busy CPU seconds of the whole machine so far (all cores; /proc/stat's first line less idle and iowait); NaN where not readable. */
    private static double machineSeconds() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/stat"))) {
            String[] f = lines.findFirst().orElseThrow().trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) { // user nice system idle iowait irq softirq steal
                busy += i == 4 || i == 5 ? 0 : Long.parseLong(f[i]);
            }
            return busy / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * CPU seconds this JVM's JIT compiler threads have used so far; where /proc is not readable, the compilers' own
     * total (CompilationMXBean: elapsed time, which on a busy machine runs 2-3x their CPU time).
     */
    static double jitSeconds() {
        double jit = threadSeconds()[1];
        if (Double.isNaN(jit)) {
            var compilers = ManagementFactory.getCompilationMXBean();
            jit = compilers != null && compilers.isCompilationTimeMonitoringSupported() ? compilers.getTotalCompilationTime() / 1000.0 : 0;
        }
        return jit;
    }

    /** {ONNX embedding threads, JIT compiler threads} CPU seconds so far, from /proc/self/task; NaN where not readable. */
    private static double[] threadSeconds() {
        double onnx = 0;
        double jit = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                double seconds = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND; // utime + stime
                if (name.startsWith("onnx-embed")) {
                    onnx += seconds;
                } else if (name.contains("CompilerThre")) {
                    jit += seconds;
                }
            }
        } catch (IOException | RuntimeException e) {
            onnx = Double.NaN;
            jit = Double.NaN;
        }
        return new double[] {onnx, jit};
    }

    /** What was used between {@code before} and this. */
    CpuUse since(CpuUse before) {
        return new CpuUse(jvm - before.jvm, onnx - before.onnx, jit - before.jit, openSearch - before.openSearch,
                refreshes - before.refreshes, machine - before.machine, wall - before.wall);
    }

    /**
     * Cores busy outside this JVM and OpenSearch over a phase (of a {@link #since} difference): Kafka's broker, a few
     * hundredths, and whatever else runs; more than ~0.1 means the phase's wall-clock figures were disturbed.
     */
    double otherCores() {
        return (machine - jvm - openSearch) / wall;
    }

    /** Seconds per 1000 chunks, for a phase that handled {@code chunks}. */
    String perThousand(long chunks) {
        double k = 1000.0 / chunks;
        return String.format(Locale.ROOT, "JVM %.1f CPU-s (ONNX %.1f, JIT %.1f, rest %.1f), OpenSearch %.1f CPU-s, %.0f refreshes; "
                        + "outside both %.2f cores", jvm * k, onnx * k, jit * k, (jvm - onnx - jit) * k, openSearch * k, refreshes * k,
                otherCores());
    }
}
