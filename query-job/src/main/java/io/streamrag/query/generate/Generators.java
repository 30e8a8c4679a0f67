package io.streamrag.query.generate;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
import io.streamrag.query.retrieve.RetrieveSettings;

import dev.langchain4j.model.embedding.EmbeddingModel;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Builds a {@link CandidateGenerator} from the parsed {@link GenerateSettings}; follow-up retrieval (ITERDRAG) is created on first use. */
public final class Generators {

    private Generators() {}

    /** Lazily created retriever for ITERDRAG follow-ups; the generator closes it. */
    static final class LazyRetriever implements FollowUpRetriever {
        /** What the first retrieval opens: the retriever, and what gives back its clients. */
        record Opened(FollowUpRetriever retriever, Runnable close) {}

        private final Supplier<Opened> opener;
        private final long timeoutMs;
        private Opened opened;
        /** The opening under way, if any (under this lock; it runs outside it). */
        private CompletableFuture<Opened> opening;
        private boolean closed;

        LazyRetriever(RetrieveSettings settings) {
            // query.retrieve.timeout, as the retrieval operator's attempts
            this(() -> openClients(settings), settings.attemptTimeout().toMillis());
        }

        LazyRetriever(Supplier<Opened> opener, long timeoutMs) {
            this.opener = opener;
            this.timeoutMs = timeoutMs;
        }

        /** The OpenSearch client and the embedding model (the ONNX one loads for seconds), and the retriever over them. */
        private static Opened openClients(RetrieveSettings settings) {
            OpenSearchClient client = OpenSearchClients.create(settings.connection());
            EmbeddingModel model;
            try {
                model = EmbeddingModels.create(settings.embedding());
            } catch (RuntimeException | Error e) {
                OpenSearchClients.close(client); // the next retrieval makes another (this one was left open)
                throw e;
            }
            HybridRetriever r = new HybridRetriever(client, model, settings.alias(), settings.poolSize(), settings.rrfK());
            return new Opened(r::retrieve, () -> {
                try {
                    OpenSearchClients.close(client);
                } finally {
                    EmbeddingModels.release(model);
                }
            });
        }

        @Override
        public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
            return opened().retriever().retrieve(tenant, question, k);
        }

        /**
         * The opened clients: the first retrieval opens them outside the lock, the others wait for that interruptibly
         * (their follow-up timeout and the vote's abort interrupt them; on the lock the opening held, they waited for
         * the whole model load). A failed opening is not kept: the next retrieval opens again.
         */
        private Opened opened() {
            CompletableFuture<Opened> pending;
            boolean mine = false;
            synchronized (this) {
                if (closed) {
                    // A candidate that outlived its generator: no client is built that nothing would close.
                    throw new IllegalStateException("The follow-up retrieval is closed");
                }
                if (opened != null) {
                    return opened;
                }
                if (opening == null) {
                    opening = new CompletableFuture<>();
                    mine = true;
                }
                pending = opening;
            }
            if (mine) {
                try {
                    Opened o = open();
                    pending.complete(o);
                    return o;
                } catch (RuntimeException | Error e) {
                    pending.completeExceptionally(e);
                    throw e;
                }
            }
            try {
                return pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while the follow-up retrieval was being opened", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("Opening the follow-up retrieval failed: " + e.getCause(), e.getCause());
            }
        }

        /** Runs the opener; what it opens after a close is closed again. */
        private Opened open() {
            Opened o;
            try {
                o = opener.get();
            } catch (RuntimeException | Error e) {
                synchronized (this) {
                    opening = null;
                }
                throw e;
            }
            synchronized (this) {
                opening = null;
                if (!closed) {
                    opened = o;
                    return o;
                }
            }
            o.close().run();
            throw new IllegalStateException("The follow-up retrieval is closed");
        }

        @Override
        public long timeoutMs() {
            return timeoutMs;
        }

        @Override
        public void close() {
            Opened o;
            synchronized (this) {
                closed = true;
                o = opened;
                opened = null;
            }
            if (o != null) {
                o.close().run();
            }
        }
    }

    /**
     * A generator over {@code endpoints} (parsed once, by the job, from {@code query.endpoints}), with its own
     * follow-up retrieval for ITERDRAG, opened on first use and closed with the generator.
     */
    public static CandidateGenerator create(GenerateSettings s, List<EndpointSpec> endpoints, CallListener listener) {
        return new CandidateGenerator(endpoints, s.retry(), s.maxTokens(), listener, Demonstrations.load(s.demonstrations()),
                s.numDemonstrations(), s.maxFollowUps(), new LazyRetriever(s.followUpRetrieval()), s.health(), s.hedge());
    }
}
