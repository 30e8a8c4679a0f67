package io.streamrag.common.config;

import io.streamrag.common.embedding.EmbeddingOptions;
import io.streamrag.common.security.SecurityOptions;

import org.apache.flink.configuration.BatchExecutionOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateLatencyTrackOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.StateSizeTrackOptions;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The option keys a job accepts, read reflectively from the {@code public static final ConfigOption} fields of its
 * options classes (keys, fallback and deprecated keys): unknown keys are rejected with the nearest known key.
 */
public final class ConfigKeys {

    /** Options every job shares: connections, topics, embeddings, security. */
    public static final List<Class<?>> SHARED = List.of(StreamRagOptions.class, EmbeddingOptions.class, SecurityOptions.class);

    /**
     * Flink's options that configure a job (what {@code getExecutionEnvironment(conf)} applies: parallelism,
     * pipeline, execution, checkpoints, state, restarts, metrics); cluster-side options (memory, ports, RPC) do not
     * belong in a job's arguments.
     */
    static final List<Class<?>> FLINK = List.of(CoreOptions.class, PipelineOptions.class, ExecutionOptions.class,
            BatchExecutionOptions.class, DeploymentOptions.class, CheckpointingOptions.class, StateBackendOptions.class,
            StateRecoveryOptions.class, StateChangelogOptions.class, StateLatencyTrackOptions.class,
            StateSizeTrackOptions.class, RestartStrategyOptions.class, MetricOptions.class);

    /** Arguments read by {@link Configs#fromArgs} itself rather than options. */
    static final Set<String> ARGUMENTS = Set.of("config");

    private final Set<String> keys;

    private ConfigKeys(Set<String> keys) {
        this.keys = Collections.unmodifiableSet(keys);
    }

    /** The keys of a job: its own options class, the shared options and Flink's job options. */
    public static ConfigKeys forJob(Class<?> jobOptions) {
        List<Class<?>> holders = new ArrayList<>();
        holders.add(jobOptions);
        holders.addAll(SHARED);
        holders.addAll(FLINK);
        return of(holders);
    }

    /** The keys (with fallback and deprecated keys) of every {@code public static final ConfigOption} of {@code holders}. */
    public static ConfigKeys of(Collection<Class<?>> holders) {
        Set<String> keys = new TreeSet<>(ARGUMENTS);
        for (Class<?> holder : holders) {
            for (ConfigOption<?> option : options(holder)) {
                keys.add(option.key());
                for (FallbackKey fallback : option.fallbackKeys()) {
                    keys.add(fallback.getKey());
                }
            }
        }
        return new ConfigKeys(keys);
    }

    /** These keys and {@code other}'s. */
    public ConfigKeys and(ConfigKeys other) {
        Set<String> union = new TreeSet<>(keys);
        union.addAll(other.keys);
        return new ConfigKeys(union);
    }

    /** The {@code public static final ConfigOption} fields of {@code holder}, in declaration order. */
    public static List<ConfigOption<?>> options(Class<?> holder) {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : holder.getFields()) {
            int m = f.getModifiers();
            if (Modifier.isStatic(m) && Modifier.isFinal(m) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    options.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    public boolean contains(String key) {
        return keys.contains(key);
    }

    public Set<String> keys() {
        return keys;
    }

    /** Throws for the first unknown key of {@code given}, naming the nearest known key when one is close. */
    public void check(Collection<String> given) {
        for (String key : given) {
            if (!contains(key)) {
                String nearest = suggest(key);
                throw new IllegalArgumentException("Unknown option '" + key + "'"
                        + (nearest == null ? "" : ": did you mean " + nearest + "?")
                        + " (the job's options are listed in its README)");
            }
        }
    }

    /**
     * The known key nearest to {@code key}: one that ends with it after a prefix ({@code ocr.threads} →
     * {@code ingest.ocr.threads}), else the least edit distance within a third of the key's length; null if none.
     */
    public String suggest(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        for (String known : keys) {
            if (known.endsWith("." + lower)) {
                return known;
            }
        }
        String best = null;
        int bestDistance = Math.max(2, lower.length() / 3) + 1;
        for (String known : keys) {
            int d = distance(lower, known);
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best;
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
