package io.streamrag.query.functions;

import io.streamrag.common.config.StreamRagOptions;
import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.query.QueryOptions;
import io.streamrag.query.metrics.RetrievalMetrics;
import io.streamrag.query.records.QuestionTask;
import io.streamrag.query.records.Retrieval;
import io.streamrag.query.retrieve.HybridRetriever;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.util.Collections;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Embeds the question and runs tenant-filtered hybrid search on a small executor (both calls are blocking). */
public class AsyncRetrieve extends RichAsyncFunction<QuestionTask, Retrieval> {
    private static final long serialVersionUID = 1L;

    private final Configuration conf;
    private transient OpenSearchClient client;
    private transient HybridRetriever retriever;
    private transient ExecutorService executor;
    private transient RetrievalMetrics metrics;

    public AsyncRetrieve(Configuration conf) {
        this.conf = conf;
    }

    @Override
    public void open(OpenContext context) {
        client = OpenSearchClients.create(conf);
        retriever = new HybridRetriever(client, EmbeddingModels.create(conf), conf.get(StreamRagOptions.OPENSEARCH_INDEX),
                conf.get(QueryOptions.RETRIEVE_POOL), conf.get(QueryOptions.RRF_K));
        executor = Executors.newFixedThreadPool(conf.get(QueryOptions.RETRIEVE_THREADS));
        metrics = new RetrievalMetrics(getRuntimeContext().getMetricGroup());
    }

    @Override
    public void asyncInvoke(QuestionTask q, ResultFuture<Retrieval> resultFuture) {
        long start = System.currentTimeMillis();
        CompletableFuture.supplyAsync(() -> retriever.retrieve(q.tenant, q.text, q.k), executor)
                .whenComplete((chunks, error) -> {
                    Retrieval r = new Retrieval();
                    r.question = q;
                    r.retrievalMs = System.currentTimeMillis() - start;
                    metrics.retrievals.inc();
                    metrics.latency(r.retrievalMs);
                    if (error != null) {
                        metrics.failures.inc();
                        r.error = "retrieval failed: " + rootMessage(error);
                    } else {
                        r.chunks.addAll(chunks);
                        if (chunks.isEmpty()) {
                            metrics.empty.inc();
                        }
                    }
                    resultFuture.complete(Collections.singleton(r));
                });
    }

    @Override
    public void timeout(QuestionTask q, ResultFuture<Retrieval> resultFuture) {
        // Never fail the job on a slow search: the question gets a FAILED answer instead.
        Retrieval r = new Retrieval();
        r.question = q;
        r.retrievalMs = System.currentTimeMillis() - q.receivedAtMs;
        r.error = "retrieval timed out";
        metrics.failures.inc();
        resultFuture.complete(Collections.singleton(r));
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdownNow();
        }
        OpenSearchClients.close(client);
    }

    static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
