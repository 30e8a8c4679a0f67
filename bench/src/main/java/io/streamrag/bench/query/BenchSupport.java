package io.streamrag.bench.query;

import io.streamrag.query.generate.CallListener;
import io.streamrag.query.generate.CandidateGenerator;
import io.streamrag.query.generate.Demonstrations;
import io.streamrag.query.generate.EndpointSpec;
import io.streamrag.query.generate.RetryPolicy;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.records.RetrievedChunk;

import java.util.Arrays;
import java.util.List;

/** Shared helpers for the benchmarks: a generator over one local endpoint and a canned retrieval. */
final class BenchSupport {

    private BenchSupport() {}

    static CandidateGenerator generator(String baseUrl, int maxConcurrency) {
        return generator(baseUrl, maxConcurrency, 1);
    }

    /** With {@code maxChoices > 1} the endpoint takes OpenAI's n. */
    static CandidateGenerator generator(String baseUrl, int maxConcurrency, int maxChoices) {
        return new CandidateGenerator(
                List.of(EndpointSpec.parse("local=openai," + baseUrl + ",extractive," + maxConcurrency + ",1.0,30000,,"
                        + maxChoices)),
                new RetryPolicy(2, 200, 5000), 256, CallListener.NONE, Demonstrations.load(null), 2, 2,
                (tenant, q, k) -> List.of());
    }

    static Retrieval retrieval(String questionId, int n) {
        QuestionTask q = new QuestionTask();
        q.questionId = questionId;
        q.tenant = "acme";
        q.text = "Which port does the admin UI use?";
        q.n = n;
        q.k = 2;
        q.strategy = "RAG";
        q.deadlineMs = 120_000;
        q.receivedAtMs = System.currentTimeMillis();
        Retrieval r = new Retrieval();
        r.question = q;
        r.chunks.add(chunk("manual-42:1:0", 17, "The admin UI listens on port 8443 over HTTPS."));
        r.chunks.add(chunk("manual-42:1:1", 3, "Installation requires Java 17 and 4 GB of memory."));
        return r;
    }

    private static RetrievedChunk chunk(String id, int page, String text) {
        RetrievedChunk c = new RetrievedChunk();
        c.chunkId = id;
        c.documentId = "manual-42";
        c.page = page;
        c.kind = "text";
        c.text = text;
        c.score = 1.0;
        return c;
    }

    /** The machine's 1-minute load average (as {@code uptime} shows it), printed beside latency figures. */
    static String loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "n/a" : String.format("%.1f on %d cores", load, Runtime.getRuntime().availableProcessors());
    }

    static double percentile(long[] values, double p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }
}
