package io.streamrag.bench.query;

import io.streamrag.model.Faults;
import io.streamrag.model.LocalModelServer;
import io.streamrag.query.functions.FanOut;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.records.CandidateRequest;
import io.streamrag.query.records.CandidateResult;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.vote.VoteTally;

import org.apache.flink.api.common.functions.util.ListCollector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Fan-out latency: N=8 candidates on an endpoint with 500 ms latency, through the job's own CandidateGenerator
 * (bounded pool, retries, parsing) and vote tally, versus one call and versus the 8 calls made sequentially.
 * Retrieval is the same for all three and is excluded (it would only bring the ratio closer to 1). Then the same N
 * candidates as one request with OpenAI's n: requests and prompt tokens per question.
 */
public final class FanOutBenchmark {

    public static void main(String[] args) throws Exception {
        int n = 8;
        int questions = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        try (LocalModelServer server = LocalModelServer.startLocal(Faults.parse("latency=500"));
             CandidateGenerator generator = BenchSupport.generator(server.baseUrl(), n);
             CandidateGenerator withN = BenchSupport.generator(server.baseUrl(), n, n)) {
            List<String> endpoints = List.of("local");
            generator.generate(FanOut.request(BenchSupport.retrieval("warmup", 1), 0, endpoints, 0.7)).get();
            long[] single = new long[questions];
            long[] fanOut = new long[questions];
            long[] sequential = new long[Math.min(questions, 5)];
            long[] oneRequest = new long[questions];
            long fanOutRequests = 0;
            long fanOutPromptTokens = 0;
            long nRequests = 0;
            long nPromptTokens = 0;
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
                for (CandidateResult c : results) {
                    fanOutRequests += c.attempts;
                    fanOutPromptTokens += c.tokensIn;
                }

                // The same N candidates as one request with OpenAI's n.
                t0 = System.nanoTime();
                List<CandidateRequest> batch = new ArrayList<>();
                FanOut.of(List.of(withN.endpoint("local").spec), 0.7).flatMap(r, new ListCollector<>(batch));
                List<CandidateResult> nResults = withN.generateAll(batch.get(0)).get();
                VoteTally.of(nResults).leader();
                oneRequest[q] = (System.nanoTime() - t0) / 1_000_000;
                for (CandidateResult c : nResults) {
                    nRequests += c.attempts;
                    nPromptTokens += c.tokensIn;
                }

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
            double p50N = BenchSupport.percentile(oneRequest, 50);
            System.out.printf("  p50 N=%d in one request  : %6.0f ms  (%.3fx one call)%n", n, p50N, p50N / p50Single);
            System.out.printf("  per question: fan-out %.1f requests, %.0f prompt tokens; one request with n: %.1f "
                            + "requests, %.0f prompt tokens (%.1fx fewer)%n",
                    (double) fanOutRequests / questions, (double) fanOutPromptTokens / questions,
                    (double) nRequests / questions, (double) nPromptTokens / questions,
                    (double) fanOutPromptTokens / Math.max(1, nPromptTokens));
        }
    }
}
