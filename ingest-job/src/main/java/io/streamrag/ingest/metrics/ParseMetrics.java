package io.streamrag.ingest.metrics;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ParseDocumentEvent}. */
public final class ParseMetrics {
    public static final String DOCUMENTS_IN = "documentsIn";
    public static final String DOCUMENTS_INVALID = "documentsInvalid";

    public final Counter documentsIn;
    public final Counter documentsInvalid;

    public ParseMetrics(MetricGroup group) {
        documentsIn = group.counter(DOCUMENTS_IN);
        documentsInvalid = group.counter(DOCUMENTS_INVALID);
    }
}
