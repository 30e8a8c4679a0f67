package io.streamrag.common.security;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads passwords from a file or an environment variable, never from the job configuration: the configuration
 * only names where a secret is, so it can be logged, shown by the Flink REST API and checked in.
 */
public final class Secrets {

    /** Keys that would put a secret into the configuration itself; {@link #rejectInline} refuses them. */
    static final List<String> INLINE_SECRET_KEYS = List.of(
            "kafka.sasl.password", "kafka.ssl.truststore.password", "kafka.ssl.keystore.password",
            "kafka.ssl.key.password", "kafka.sasl.jaas.config", "kafka.properties.sasl.jaas.config",
            "opensearch.password", "opensearch.ssl.truststore.password");
    /** URL options of both jobs that must not carry credentials ({@link #rejectInline} checks them). */
    static final List<String> URL_KEYS = List.of("opensearch.url", "embedding.base-url", "ingest.vision.base-url",
            "vision.base-url"); // the last one ingest.vision.base-url's deprecated key, which the job still reads
    /** A query parameter that carries a key. */
    private static final Pattern KEY_PARAMETER =
            Pattern.compile("(?i)(?:^|&)(?:key|api[_-]?key|token|access[_-]?token|password|secret)=");

    private Secrets() {}

    /**
     * The secret from {@code file} if one is configured (trailing line breaks dropped), else from the environment
     * variable {@code envName} if it is set and not empty, else {@code null}. Error messages name where the secret
     * was looked for, never its value.
     */
    public static String read(String what, String file, String envName) {
        if (file != null && !file.isBlank()) {
            String value;
            try {
                value = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(what + ": cannot read the password file " + file
                        + " (" + e.getClass().getSimpleName() + ")");
            }
            value = value.replaceAll("[\r\n]+$", "");
            if (value.isEmpty()) {
                throw new IllegalArgumentException(what + ": the password file " + file + " is empty");
            }
            return value;
        }
        if (envName != null && !envName.isBlank()) {
            String value = System.getenv(envName);
            if (value != null && !value.isEmpty()) {
                return value;
            }
        }
        return null;
    }

    /** Like {@link #read}, but a missing secret is an error that says how to provide it. */
    public static String require(String what, String file, String fileKey, String envName) {
        String value = read(what, file, envName);
        if (value == null) {
            throw new IllegalArgumentException(what + " needs a password: set " + fileKey + " to a file holding it"
                    + (envName == null || envName.isBlank() ? "" : ", or the environment variable " + envName));
        }
        return value;
    }

    /**
     * Fails if the configuration carries a secret itself instead of naming a file or environment variable: a secret's
     * own key, or a URL option with credentials in it (see {@link #carriesCredentials}).
     */
    public static void rejectInline(Configuration conf) {
        for (String key : INLINE_SECRET_KEYS) {
            if (conf.containsKey(key)) {
                throw new IllegalArgumentException("'" + key + "' must not be in the configuration: secrets come from "
                        + "files or environment variables (use the matching *-file or *-env option)");
            }
        }
        Map<String, String> all = conf.toMap();
        for (String key : URL_KEYS) {
            String url = all.get(key);
            if (url != null && carriesCredentials(url)) {
                throw new IllegalArgumentException(key + " must not carry credentials (user info or a key parameter): "
                        + masked(url) + "; secrets come from files or environment variables (the matching *-file or *-env option)");
            }
        }
    }

    /**
     * Whether {@code url} carries credentials: an {@code @} anywhere in it, or a key-like query parameter. Anywhere: a
     * password with an unencoded '@', '/', '?' or '#' ({@code admin:ab/cd@host}) makes java.net.URI find no user info
     * (or the user's name as the host), so neither asking it nor looking only before the first '/' is enough; these
     * services' URLs have no '@' of their own.
     */
    public static boolean carriesCredentials(String url) {
        int query = url.indexOf('?');
        return url.indexOf('@') >= 0 || (query >= 0 && KEY_PARAMETER.matcher(url.substring(query + 1)).find());
    }

    /** A URL in free text: a scheme (bounded, so a long run of letters costs no backtracking), "://", up to a space or quote. */
    private static final Pattern URL_IN_TEXT = Pattern.compile("\\b[A-Za-z][A-Za-z0-9+.-]{0,31}://[^\\s'\"<>]++");

    /**
     * {@code text} with every URL in it {@link #masked}: a message that names a document's uri (a fetch's failure, a
     * redirect's target) goes to logs and the outcomes topic, and a pre-signed URL's query is a credential.
     */
    public static String maskedUrls(String text) {
        return text == null ? null : URL_IN_TEXT.matcher(text).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(masked(m.group())));
    }

    /** {@code url} for a message: all from its "//" to its last '@', and its query, replaced by {@code ***}. */
    public static String masked(String url) {
        int scheme = url.indexOf("://");
        int from = scheme < 0 ? 0 : scheme + 3;
        int at = url.lastIndexOf('@');
        String out = at >= from ? url.substring(0, from) + "***" + url.substring(at) : url;
        int query = out.indexOf('?');
        return query >= 0 ? out.substring(0, query) + "?***" : out;
    }
}
