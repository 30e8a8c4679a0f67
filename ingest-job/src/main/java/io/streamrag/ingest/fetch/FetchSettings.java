package io.streamrag.ingest.fetch;

import io.streamrag.common.config.OptionChecks;
import io.streamrag.ingest.IngestOptions;

import org.apache.flink.configuration.Configuration;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.time.Duration;

/** What {@code FetchContent} may fetch and how long and how much it may take ({@code ingest.limits.*}, {@code ingest.fetch.*}). */
public record FetchSettings(long maxBytes, long maxInlineBytes, Duration httpTimeout, Duration totalTimeout, int maxRedirects,
                            FetchPolicy policy) implements Serializable {

    /** Parsed when the job is built, so a bad policy fails the submission, not each record. */
    public static FetchSettings from(Configuration conf) {
        return from(conf, null);
    }

    /**
     * As {@link #from(Configuration)}, with {@code sourceRoot} (a local path, or null) allowed besides
     * {@code ingest.allowed-roots}: the files source's own folder (see {@link FetchPolicy#from(Configuration, String)}).
     */
    public static FetchSettings from(Configuration conf, String sourceRoot) {
        FetchPolicy policy = FetchPolicy.from(conf, sourceRoot);
        if (!policy.unboundedStoreSchemes().isEmpty()) {
            LoggerFactory.getLogger(FetchSettings.class).warn("Document events may name any object of {} that the job's "
                    + "credentials reach, for any tenant: set {} (e.g. s3://docs/{{tenant}}/) to give each tenant its own",
                    policy.unboundedStoreSchemes(), IngestOptions.FETCH_ALLOWED_PREFIXES.key());
        }
        return new FetchSettings(conf.get(IngestOptions.LIMITS_MAX_BYTES).getBytes(),
                conf.get(IngestOptions.LIMITS_MAX_INLINE_BYTES).getBytes(),
                // 0 dead-lettered every fetch: a total timeout of 0 ended it at its start, an http timeout of 0 gave each answer 1 ms
                OptionChecks.atLeast(conf, IngestOptions.FETCH_HTTP_TIMEOUT, Duration.ofMillis(1)),
                OptionChecks.atLeast(conf, IngestOptions.FETCH_TOTAL_TIMEOUT, Duration.ofMillis(1)),
                conf.get(IngestOptions.FETCH_MAX_REDIRECTS), policy);
    }
}
