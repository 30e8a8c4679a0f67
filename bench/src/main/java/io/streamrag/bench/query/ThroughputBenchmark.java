package io.streamrag.bench.query;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Throughput under an endpoint concurrency cap C: Q questions of N candidates each at 500 ms per call, all
 * submitted at once to the job's CandidateGenerator; compares questions/s with the ideal C / (N x latency).
 */
public final class ThroughputBenchmark {

    public static void main(String[] args) throws Exception {
        int cap = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int n = 8;
        int questions = args.length > 1 ? Integer.parseInt(args[1]) : 12;
        double latencyS = 0.5;
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=500"));
             CandidateGenerator generator = BenchSupport.generator(server.baseUrl(), cap)) {
            List<String> endpoints = List.of("local");
            generator.generate(FanOut.request(BenchSupport.retrieval("warmup", 1), 0, endpoints, 0.7)).get();
            long t0 = System.nanoTime();
            List<CompletableFuture<CandidateResult>> all = new ArrayList<>();
            for (int q = 0; q < questions; q++) {
                Retrieval r = BenchSupport.retrieval("t-" + q, n);
                for (int i = 0; i < n; i++) {
                    all.add(generator.generate(FanOut.request(r, i, endpoints, 0.7)));
                }
            }
            int ok = 0;
            for (CompletableFuture<CandidateResult> f : all) {
                ok += f.get().ok() ? 1 : 0;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double measured = questions / seconds;
            double ideal = cap / (n * latencyS);
            System.out.printf("Throughput, cap C=%d, N=%d, latency 500 ms, %d questions (%d/%d candidates OK)%n",
                    cap, n, questions, ok, all.size());
            System.out.printf("  measured %.3f questions/s, ideal C/(N x latency) = %.3f -> ratio %.3f (target >= 0.9)%n",
                    measured, ideal, measured / ideal);
        }
    }
}
