package io.streamrag.ingest.functions;

import io.streamrag.common.opensearch.OpenSearchClients;
import io.streamrag.ingest.index.IndexSettings;

import org.opensearch.client.opensearch.OpenSearchClient;

/**
 * A {@link BufferingOperator} whose batches go to the job's index: it owns one OpenSearch client, built in
 * {@link #open()} and closed with the operator, so a failover's new operator never inherits the old one's connections.
 */
abstract class IndexBufferingOperator<IN, OUT> extends BufferingOperator<IN, OUT> {
    private static final long serialVersionUID = 1L;

    /** The job's index: connection, alias and the outage backoff its requests retry with. */
    protected final IndexSettings index;

    protected transient OpenSearchClient client;

    IndexBufferingOperator(IndexSettings index, long maxDelayMs) {
        super(maxDelayMs);
        this.index = index;
    }

    @Override
    public void open() throws Exception {
        super.open();
        client = OpenSearchClients.create(index.connection());
    }

    @Override
    public void close() throws Exception {
        try {
            OpenSearchClients.close(client);
        } finally {
            super.close(); // the operator's own resources, even when closing the client failed
        }
    }
}
