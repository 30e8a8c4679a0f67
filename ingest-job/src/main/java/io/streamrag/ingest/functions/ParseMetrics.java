package io.streamrag.ingest.functions;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link ParseDocumentEvent}. */
public final class ParseMetrics {
    public static final String DOCUMENTS_IN = "documentsIn";
    public static final String DOCUMENTS_INVALID = "documentsInvalid";

    final Counter documentsIn;
    final Counter documentsInvalid;

    ParseMetrics(MetricGroup group) {
        documentsIn = group.counter(DOCUMENTS_IN);
        documentsInvalid = group.counter(DOCUMENTS_INVALID);
    }
}
