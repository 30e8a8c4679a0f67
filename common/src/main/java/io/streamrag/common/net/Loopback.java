package io.streamrag.common.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * The network rule of the chaos drills and benchmarks: their load and faults go to loopback addresses only
 * (127.0.0.0/8, ::1). {@link #require} checks the addresses a drill was given before it sends anything; it resolves
 * names (localhost) and connects to nothing.
 */
public final class Loopback {

    private Loopback() {}

    /**
     * Throws {@link IllegalArgumentException}, naming {@code what}, unless every host in {@code addresses} (a URL, or
     * {@code host:port} entries separated by commas, IPv6 in brackets) resolves to loopback addresses only.
     */
    public static void require(String what, String addresses) {
        if (addresses == null || addresses.isBlank()) {
            throw new IllegalArgumentException(what + " is not set");
        }
        for (String entry : addresses.split(",")) {
            String host = host(entry.strip());
            InetAddress[] resolved;
            try {
                resolved = InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(what + ": " + host + " does not resolve; chaos drills and benchmarks "
                        + "send only to loopback addresses (127.0.0.0/8, ::1)");
            }
            for (InetAddress a : resolved) {
                if (!a.isLoopbackAddress()) {
                    throw new IllegalArgumentException(what + ": " + entry.strip() + " is " + a.getHostAddress()
                            + ", not a loopback address; chaos drills and benchmarks send only to loopback addresses (127.0.0.0/8, ::1)");
                }
            }
        }
    }

    /** The host of a URL or of {@code host:port} ({@code [v6]:port}); "" when there is none. */
    static String host(String entry) {
        if (entry.contains("://")) {
            String host = URI.create(entry).getHost();
            if (host == null) {
                throw new IllegalArgumentException("No host in " + entry);
            }
            return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        }
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("Unclosed [ in " + entry);
            }
            return entry.substring(1, close);
        }
        int colon = entry.lastIndexOf(':');
        // One colon: host:port; more: a bare IPv6 address (no port).
        String host = colon >= 0 && entry.indexOf(':') == colon ? entry.substring(0, colon) : entry;
        if (host.isEmpty()) {
            throw new IllegalArgumentException("No host in " + entry);
        }
        return host.toLowerCase(Locale.ROOT);
    }
}
