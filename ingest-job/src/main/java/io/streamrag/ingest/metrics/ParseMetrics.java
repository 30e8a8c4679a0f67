package io.streamrag.ingest.metrics;

import io.streamrag.common.metrics.ComponentMetrics;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/** Metrics of {@link io.streamrag.ingest.functions.ParseDocumentEvent}. */
public final class ParseMetrics extends ComponentMetrics {
    public static final String DOCUMENTS_IN = "documentsIn";
    public static final String DOCUMENTS_INVALID = "documentsInvalid";

    public final Counter documentsIn = counter(DOCUMENTS_IN);
    public final Counter documentsInvalid = counter(DOCUMENTS_INVALID);

    public ParseMetrics(MetricGroup group) {
        super(group);
    }
}
