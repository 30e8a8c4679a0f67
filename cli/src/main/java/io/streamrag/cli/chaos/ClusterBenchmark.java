package io.streamrag.cli.chaos;

import io.streamrag.cli.FlinkRest;
import io.streamrag.cli.JobLauncher;
import io.streamrag.common.config.Configs;

import org.apache.flink.configuration.Configuration;

import java.time.Duration;
import java.util.Locale;

/**
 * {@code rag bench cluster --parallelism N}: throughput of both jobs on the running local cluster at parallelism N
 * (moved there through stop-with-savepoint and restore): a burst of one-chunk documents (chunks/s from the first send
 * until all are searchable), then a burst of questions (answers/s until all are committed). Prints its figures.
 */
public final class ClusterBenchmark {

    private ClusterBenchmark() {}

    public static void main(String[] args) throws Exception {
        Configuration conf = Configs.fromArgs(args);
        int parallelism = Integer.parseInt(conf.getString("parallelism", "2"));
        int documents = Integer.parseInt(conf.getString("documents", "600"));
        int questions = Integer.parseInt(conf.getString("questions", "200"));
        FlinkRest rest = FlinkRest.local();
        if (!rest.isUp() || rest.running(JobLauncher.INGEST) == null || rest.running(JobLauncher.QUERY) == null) {
            System.err.println("Both jobs must be running on the local cluster: bin/rag up");
            System.exit(1);
        }
        Duration moved = JobLauncher.rescaleBoth(rest, parallelism, Duration.ofMinutes(2));
        System.out.printf(Locale.ROOT, "Both jobs at parallelism %d (stop-with-savepoint + restore %.1f s); warming up ...%n",
                parallelism, moved.toMillis() / 1000.0);
        run(conf, 20, 10, Duration.ofMinutes(3)); // first records after a restore pay for model loading
        double[] docs = run(conf, documents, 0, Duration.ofMinutes(10));
        double[] qs = run(conf, 0, questions, Duration.ofMinutes(10));
        System.out.printf(Locale.ROOT, "parallelism %d: ingest %.1f chunks/s (%d one-chunk documents in %.1f s), "
                + "query %.1f questions/s (%d questions in %.1f s)%n", parallelism, docs[0], documents, docs[1], qs[0], questions, qs[1]);
    }

    /** Sends a burst and waits until all came out; returns {rate, seconds}. */
    private static double[] run(Configuration conf, int documents, int questions, Duration timeout) throws Exception {
        try (ChaosLoad load = new ChaosLoad(conf, documents, questions)) {
            long t0 = System.nanoTime();
            load.startSending(Duration.ZERO);
            load.awaitSent();
            ChaosLoad.Counts c = load.awaitAll(timeout);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (c.documentsIndexed() < documents || c.questionsAnswered() < questions) {
                throw new IllegalStateException("Not all outcomes within " + timeout + ": " + c);
            }
            return new double[] {(documents + questions) / seconds, seconds};
        }
    }
}
