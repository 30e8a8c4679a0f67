package io.streamrag.query.bench;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.vote.VoteTally;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Fan-out latency: N=8 candidates on an endpoint with 500 ms latency, through the job's own CandidateGenerator
 * (bounded pool, retries, parsing) and vote tally, versus one call and versus the 8 calls made sequentially.
 * Retrieval is the same for all three and is excluded (it would only bring the ratio closer to 1).
 */
public final class FanOutBenchmark {

    public static void main(String[] args) throws Exception {
        int n = 8;
        int questions = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=500"));
             CandidateGenerator generator = BenchSupport.generator(server.baseUrl(), n)) {
            List<String> endpoints = List.of("local");
            generator.generate(FanOut.request(BenchSupport.retrieval("warmup", 1), 0, endpoints, 0.7)).get();
            long[] single = new long[questions];
            long[] fanOut = new long[questions];
            long[] sequential = new long[Math.min(questions, 5)];
            for (int q = 0; q < questions; q++) {
                Retrieval r = BenchSupport.retrieval("q-" + q, n);
                long t0 = System.nanoTime();
                generator.generate(FanOut.request(r, 0, endpoints, 0.7)).get();
                single[q] = (System.nanoTime() - t0) / 1_000_000;

                t0 = System.nanoTime();
                List<CompletableFuture<CandidateResult>> fs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    CandidateRequest req = FanOut.request(r, i, endpoints, 0.7);
                    fs.add(generator.generate(req));
                }
                List<CandidateResult> results = new ArrayList<>();
                for (CompletableFuture<CandidateResult> f : fs) {
                    results.add(f.get());
                }
                VoteTally.of(results).leader();
                fanOut[q] = (System.nanoTime() - t0) / 1_000_000;

                if (q < sequential.length) {
                    t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        generator.generate(FanOut.request(r, i, endpoints, 0.7)).get();
                    }
                    sequential[q] = (System.nanoTime() - t0) / 1_000_000;
                }
            }
            double p50Single = BenchSupport.percentile(single, 50);
            double p50Fan = BenchSupport.percentile(fanOut, 50);
            double p50Seq = BenchSupport.percentile(sequential, 50);
            System.out.printf("Fan-out latency, N=%d, endpoint latency 500 ms, %d questions%n", n, questions);
            System.out.printf("  p50 one call            : %6.0f ms%n", p50Single);
            System.out.printf("  p50 N=%d fan-out + vote  : %6.0f ms  (%.3fx one call; target <= 1.15x)%n",
                    n, p50Fan, p50Fan / p50Single);
            System.out.printf("  p50 N=%d sequential      : %6.0f ms  (fan-out is %.1fx faster)%n",
                    n, p50Seq, p50Seq / p50Fan);
        }
    }
}
