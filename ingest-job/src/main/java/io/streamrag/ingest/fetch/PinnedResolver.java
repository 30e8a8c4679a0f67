package io.streamrag.ingest.fetch;

import org.apache.hc.client5.http.DnsResolver;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * The fetch client's only name service: it answers the host of the request being sent with the addresses
 * {@link FetchPolicy#checkHttp} just checked for it and never asks DNS, so a name cannot point the connection
 * somewhere else after the check (DNS rebinding). Any other name is unknown. One request at a time.
 */
public final class PinnedResolver implements DnsResolver {

    /** A host name and the addresses checked for it. */
    private record Pin(String host, InetAddress[] addresses) {}

    private volatile Pin pin;

    /** Pins the checked addresses of the request about to be sent; they are the only answer until {@link #clear}. */
    public void pin(String host, List<InetAddress> addresses) {
        pin = new Pin(normalize(host), addresses.toArray(new InetAddress[0]));
    }

    /** Forgets the pin once its request is done, so a late connect of a cancelled request finds nothing. */
    public void clear() {
        pin = null;
    }

    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        Pin p = pin;
        if (p == null || !p.host.equals(normalize(host))) {
            throw new UnknownHostException(host + " (not checked by the fetch policy for this request)");
        }
        return p.addresses.clone();
    }

    @Override
    public String resolveCanonicalHostname(String host) {
        return host; // only Kerberos/SPNEGO asks, and fetches send no credentials: no lookup
    }

    /** The client names IPv6 literals with or without brackets and keeps a trailing dot; the URI's host may differ. */
    private static String normalize(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }
}
