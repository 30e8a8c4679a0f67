package io.streamrag.query.generate;

import io.streamrag.common.embedding.EmbeddingModels;
import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.query.records.RetrievedChunk;
import io.streamrag.query.retrieve.HybridRetriever;
import io.streamrag.query.retrieve.RetrieveSettings;

import dev.langchain4j.model.embedding.EmbeddingModel;
import org.opensearch.client.opensearch.OpenSearchClient;

import java.util.List;

/** Builds a {@link CandidateGenerator} from the parsed {@link GenerateSettings}; follow-up retrieval (ITERDRAG) is created on first use. */
public final class Generators {

    private Generators() {}

    /** Lazily created retriever for ITERDRAG follow-ups; the generator closes it. */
    private static final class LazyRetriever implements FollowUpRetriever {
        private final RetrieveSettings settings;
        private OpenSearchClient client;
        private EmbeddingModel model;
        private HybridRetriever retriever;
        private boolean closed;

        LazyRetriever(RetrieveSettings settings) {
            this.settings = settings;
        }

        @Override
        public List<RetrievedChunk> retrieve(String tenant, String question, int k) {
            HybridRetriever r;
            synchronized (this) {
                if (closed) {
                    // A candidate that outlived its generator: no client is built that nothing would close.
                    throw new IllegalStateException("The follow-up retrieval is closed");
                }
                if (retriever == null) {
                    client = OpenSearchClients.create(settings.connection());
                    model = EmbeddingModels.create(settings.embedding());
                    retriever = new HybridRetriever(client, model, settings.alias(), settings.poolSize(), settings.rrfK());
                }
                r = retriever;
            }
            return r.retrieve(tenant, question, k);
        }

        @Override
        public long timeoutMs() {
            return settings.attemptTimeout().toMillis(); // query.retrieve.timeout, as the retrieval operator's attempts
        }

        @Override
        public synchronized void close() {
            closed = true;
            OpenSearchClients.close(client);
            EmbeddingModels.release(model);
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
