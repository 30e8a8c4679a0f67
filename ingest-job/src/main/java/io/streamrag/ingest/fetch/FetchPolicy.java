package io.streamrag.ingest.fetch;

import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.DocumentError;
import io.streamrag.ingest.extract.DocumentException;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.io.Serializable;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a document event's {@code uri} may make the ingest job read: configured schemes only; {@code file://} only
 * below the allowed roots; {@code http(s)://} only to allowed host names whose <em>resolved</em> addresses are
 * public, or explicitly allowed (address range and optionally port). Loopback, private, link-local (cloud
 * metadata), unique-local, shared (CGNAT), unspecified, multicast, reserved and IPv4-in-IPv6 forms of those are
 * refused. Callers check every redirect hop again and connect only to the addresses a check returns. Pure
 * decisions: nothing here connects anywhere.
 */
public final class FetchPolicy implements Serializable {
    private static final long serialVersionUID = 1L;

    /** In {@code ingest.allowed-roots}: the event's tenant's own folder. */
    public static final String TENANT_PLACEHOLDER = "{tenant}";
    private static final Pattern SAFE_TENANT = Pattern.compile("[A-Za-z0-9._-]+");

    /** Resolves a host name to its addresses; tests pass a fake so no name service is asked. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    /** A canonical dotted-quad IPv4 literal (no leading zeros, no octal/hex/short forms). */
    private static final Pattern CANONICAL_IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    /** A label of anything a resolver might read as a numeric IPv4 address: 127.1, 2130706433, 0x7f.0.0.1, 0177.0.0.1. */
    private static final Pattern NUMERIC_LABEL = Pattern.compile("0x[0-9a-f]*|\\d+");
    /** A label of a host name (lower case). */
    private static final Pattern NAME_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");
    /** Longest host name DNS allows (without the trailing dot); longer hosts are refused before any check reads them. */
    static final int MAX_HOST_CHARS = 253;
    /** A URI scheme (RFC 3986), lower case. */
    private static final Pattern SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*");

    /**
     * Whether a host is something a resolver might read as a numeric IPv4 address. Checked one label at a time: a
     * pattern of the whole host repeated a group per label, and Java's regex engine recurses once per repetition, so
     * "1.1.1..." of 1,500 labels overflowed a task thread's stack (FetchPolicyTest checks that both decide alike).
     */
    static boolean isNumericHost(String host) {
        return everyLabel(host, NUMERIC_LABEL);
    }

    /** Whether a (lower-case) host is a host name: labels of letters, digits and inner hyphens, as {@link #isNumericHost}. */
    static boolean isHostName(String host) {
        return everyLabel(host, NAME_LABEL);
    }

    /** Whether a host, less one trailing dot, is one or more dot-separated labels that each match {@code label}. */
    private static boolean everyLabel(String host, Pattern label) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        for (String part : h.split("\\.", -1)) {
            if (!label.matcher(part).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Refuses a host (or an authority java.net.URI found no host in) longer than any DNS name. */
    private static void checkLength(String host, URI uri) throws DocumentException {
        int length = host.endsWith(".") ? host.length() - 1 : host.length();
        if (length > MAX_HOST_CHARS) {
            throw new DocumentException(DocumentError.INVALID_URI, "Host of " + length + " characters is longer than a DNS name may be ("
                    + MAX_HOST_CHARS + "): " + uri);
        }
    }

    /** Address ranges refused unless allowed, with the reason given in the dead letter. */
    private static final List<Range> BLOCKED = List.of(
            Range.of("0.0.0.0/8", "an unspecified ('this network') address"),
            Range.of("10.0.0.0/8", "a private address"),
            Range.of("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
            Range.of("127.0.0.0/8", "a loopback address"),
            Range.of("169.254.0.0/16", "a link-local address (cloud metadata)"),
            Range.of("172.16.0.0/12", "a private address"),
            Range.of("192.0.0.0/24", "an IETF protocol assignment address"),
            Range.of("192.0.2.0/24", "a documentation address"),
            Range.of("192.88.99.0/24", "a 6to4 relay address"),
            Range.of("192.168.0.0/16", "a private address"),
            Range.of("198.18.0.0/15", "a benchmarking address"),
            Range.of("198.51.100.0/24", "a documentation address"),
            Range.of("203.0.113.0/24", "a documentation address"),
            Range.of("224.0.0.0/4", "a multicast address"),
            Range.of("240.0.0.0/4", "a reserved or broadcast address"),
            Range.of("::/128", "an unspecified address"),
            Range.of("::1/128", "a loopback address"),
            Range.of("::/96", "an IPv4-compatible IPv6 address"),
            Range.of("100::/64", "a discard-only address"),
            Range.of("64:ff9b:1::/48", "a local-use NAT64 address"),
            Range.of("2001::/32", "a Teredo address"),
            Range.of("2001:db8::/32", "a documentation address"),
            Range.of("fc00::/7", "a unique-local (private) address"),
            Range.of("fe80::/10", "a link-local address"),
            Range.of("fec0::/10", "a site-local (private) address"),
            Range.of("ff00::/8", "a multicast address"));

    private final Set<String> schemes;
    private final List<String> hosts;
    private final List<AddressRule> allowedAddresses;
    private final List<String> rootNames;
    /** Roots taken as written: not templates ({tenant} is no placeholder here). */
    private final List<String> literalRootNames;
    /** Where object-store URIs (every scheme but file and http(s)) must lie, each ending in '/'; empty: anywhere. */
    private final List<String> storePrefixes;
    private final Resolver resolver;

    private transient List<Path> roots;

    public FetchPolicy(List<String> schemes, List<String> hosts, List<String> allowedAddresses, List<String> roots, Resolver resolver) {
        this(schemes, hosts, allowedAddresses, roots, List.of(), resolver);
    }

    /**
     * @param literalRoots local folders (or files) allowed as they are written, besides {@code roots}: the files
     *                     source's own path, which may contain a comma or a literal {@code {tenant}}
     */
    public FetchPolicy(List<String> schemes, List<String> hosts, List<String> allowedAddresses, List<String> roots,
                       List<String> literalRoots, Resolver resolver) {
        this(schemes, hosts, allowedAddresses, roots, literalRoots, List.of(), resolver);
    }

    /**
     * @param storePrefixes where object-store URIs must lie ({@code s3://docs/{tenant}/}); empty: anywhere the job's
     *                      credentials reach
     */
    public FetchPolicy(List<String> schemes, List<String> hosts, List<String> allowedAddresses, List<String> roots,
                       List<String> literalRoots, List<String> storePrefixes, Resolver resolver) {
        this.storePrefixes = new ArrayList<>();
        for (String prefix : storePrefixes) {
            String p = prefix.strip();
            if (!p.isEmpty()) {
                this.storePrefixes.add(storePrefix(p));
            }
        }
        this.schemes = new LinkedHashSet<>();
        for (String entry : schemes) {
            String scheme = entry.strip().toLowerCase(Locale.ROOT);
            if (scheme.isEmpty()) {
                continue;
            }
            // A list option is separated by ';': "file,http,https" was one scheme that no URI has, refusing everything.
            if (!SCHEME.matcher(scheme).matches()) {
                throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_SCHEMES.key() + " has '" + entry.strip()
                        + "', which is not a URI scheme (a letter, then letters, digits, '+', '-' or '.')"
                        + (entry.contains(",") ? "; entries are separated by ';', e.g. " + entry.strip().replaceAll("\\s*,\\s*", ";") : ""));
            }
            this.schemes.add(scheme);
        }
        this.hosts = new ArrayList<>();
        for (String entry : hosts) {
            String host = entry.strip().toLowerCase(Locale.ROOT);
            // Same trap as the schemes: "a.example.com,b.example.com" was one host no URI names, so nothing was fetched.
            if (host.contains(",") || host.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_HOSTS.key() + " has '" + entry.strip()
                        + "', which is not a host name; entries are separated by ';', e.g. "
                        + entry.strip().replaceAll("\\s*[,\\s]\\s*", ";"));
            }
            // Entries are compared with a URI's host: one with a scheme, port or path ("host:8080", "https://host")
            // never matches, and fetched nothing without a word.
            String name = host.startsWith("*.") ? host.substring(2) : host;
            if (!host.isEmpty() && !host.equals("*") && !(host.startsWith("[") && host.endsWith("]"))
                    && (name.length() > MAX_HOST_CHARS || !isHostName(name))) {
                throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_HOSTS.key() + " has '" + entry.strip()
                        + "', which is not a host name: write docs.example.com, *.example.com or *, without scheme, port or path");
            }
            if (!host.isEmpty()) {
                this.hosts.add(host);
            }
        }
        this.allowedAddresses = new ArrayList<>();
        allowedAddresses.stream().map(String::strip).filter(a -> !a.isEmpty()).map(AddressRule::parse).forEach(this.allowedAddresses::add);
        this.rootNames = new ArrayList<>(roots);
        this.literalRootNames = new ArrayList<>(literalRoots);
        this.resolver = resolver;
    }

    /** The policy the ingest options describe, resolving names with the JVM's resolver. */
    public static FetchPolicy from(Configuration conf) {
        return from(conf, null);
    }

    /**
     * The policy the ingest options describe, also allowing {@code sourceRoot} (a local path, or null) as it is
     * written: the files source's folder, kept out of the comma-separated {@code ingest.allowed-roots}.
     */
    public static FetchPolicy from(Configuration conf, String sourceRoot) {
        List<String> roots = new ArrayList<>();
        for (String r : conf.get(IngestOptions.ALLOWED_ROOTS).split(",")) {
            if (!r.isBlank()) {
                roots.add(r.strip());
            }
        }
        return new FetchPolicy(conf.get(IngestOptions.FETCH_ALLOWED_SCHEMES), conf.get(IngestOptions.FETCH_ALLOWED_HOSTS),
                conf.get(IngestOptions.FETCH_ALLOWED_ADDRESSES), roots, sourceRoot == null ? List.of() : List.of(sourceRoot),
                conf.get(IngestOptions.FETCH_ALLOWED_PREFIXES), (Resolver & Serializable) InetAddress::getAllByName);
    }

    /** The object-store schemes allowed with no {@code ingest.fetch.allowed-prefixes}: any object the job can read. */
    public List<String> unboundedStoreSchemes() {
        if (!storePrefixes.isEmpty()) {
            return List.of();
        }
        return schemes.stream().filter(FetchPolicy::isStore).toList();
    }

    /** Whether a scheme is read through Flink's FileSystem (s3, hdfs, gs, ...): not file, http or https. */
    public static boolean isStore(String scheme) {
        return !scheme.equals("file") && !scheme.equals("http") && !scheme.equals("https");
    }

    /** A configured prefix as compared: lower-case scheme, and a trailing '/' so that .../acme does not admit .../acme-x. */
    private static String storePrefix(String prefix) {
        int colon = prefix.indexOf("://");
        if (prefix.indexOf("://", colon + 3) > 0) { // "s3://a/,s3://b/": one prefix no URI lies below
            throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_PREFIXES.key() + " has '" + prefix
                    + "', which holds more than one URI; entries are separated by ';'");
        }
        if (colon <= 0) {
            throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_PREFIXES.key()
                    + " takes URI prefixes such as s3://bucket/{tenant}/, not: " + prefix);
        }
        String p = prefix.substring(0, colon).toLowerCase(Locale.ROOT) + prefix.substring(colon);
        return p.endsWith("/") ? p : p + "/";
    }

    /**
     * Checks an object-store URI (s3://, hdfs://, ...) against {@code ingest.fetch.allowed-prefixes}: it must lie
     * below one of them, {@code {tenant}} being the event's tenant, so a tenant reads only its own prefix. Compared on
     * the decoded path, as the store's client reads it, and refused with a {@code .}, {@code ..} or empty segment
     * (a client that normalizes would leave the prefix), a query or a fragment. With no prefixes, any URI of the
     * allowed schemes passes (the job's credentials are the only bound).
     */
    public void checkStore(URI uri, String tenant) throws DocumentException {
        checkScheme(uri);
        if (storePrefixes.isEmpty()) {
            return;
        }
        String path = uri.getPath();
        if (uri.getRawAuthority() == null || path == null || !path.startsWith("/") || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Object-store uri must be scheme://authority/path, "
                    + "without query or fragment: " + uri);
        }
        String[] segments = path.substring(1).split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals(".") || segment.equals("..") || segment.isEmpty() && i < segments.length - 1) {
                throw new DocumentException(DocumentError.FORBIDDEN, "Object-store uri may not have ., .. or empty segments: " + uri);
            }
        }
        String target = uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getAuthority() + path;
        for (String prefix : storePrefixes) {
            String allowed = prefix;
            if (prefix.contains(TENANT_PLACEHOLDER)) {
                if (tenant == null || !SAFE_TENANT.matcher(tenant).matches() || tenant.equals(".") || tenant.equals("..")) {
                    continue; // a tenant that cannot name a prefix gets none of the templates
                }
                allowed = prefix.replace(TENANT_PLACEHOLDER, tenant);
            }
            if (target.startsWith(allowed)) {
                return;
            }
        }
        throw new DocumentException(DocumentError.FORBIDDEN, "Object-store uri outside "
                + IngestOptions.FETCH_ALLOWED_PREFIXES.key() + " for tenant '" + tenant + "': " + uri);
    }

    /** Refuses a scheme that is not configured. */
    public void checkScheme(URI uri) throws DocumentException {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes.contains(scheme)) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Scheme '" + scheme + "' is not in " + IngestOptions.FETCH_ALLOWED_SCHEMES.key() + " " + schemes + ": " + uri);
        }
    }

    /**
     * Checks an http(s) target (the first request or a redirect hop): scheme, host name, and every address the
     * name resolves to, with the URI's port. Returns those checked addresses: connect to them and to nothing else,
     * without resolving the name again (a second lookup may answer differently: DNS rebinding).
     */
    public List<InetAddress> checkHttp(URI uri) throws DocumentException {
        checkScheme(uri);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Only http(s) may be fetched over the network: " + uri);
        }
        if (uri.getRawUserInfo() != null) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Credentials in the uri are not allowed: " + scheme + "://" + uri.getHost() + "/...");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            // java.net.URI leaves the host empty for forms like 127.1 or exa_mple.com: say which.
            String authority = uri.getRawAuthority() == null ? "" : uri.getRawAuthority().replaceFirst(":\\d*$", "").toLowerCase(Locale.ROOT);
            checkLength(authority, uri);
            if (isNumericHost(authority)) {
                throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + authority + "' is a non-canonical IP address form: " + uri);
            }
            throw new DocumentException(DocumentError.FORBIDDEN, "No valid host in " + uri);
        }
        host = host.toLowerCase(Locale.ROOT);
        checkLength(host, uri);
        int port = uri.getPort() >= 0 ? uri.getPort() : "https".equals(scheme) ? 443 : 80;
        if (port < 1 || port > 65535) {
            throw new DocumentException(DocumentError.INVALID_URI, "Port " + port + " is out of range: " + uri);
        }
        boolean literal6 = host.startsWith("[");
        String bare = literal6 ? host.substring(1, host.length() - 1) : host;
        if (!literal6 && !CANONICAL_IPV4.matcher(bare).matches()) {
            if (isNumericHost(bare)) {
                // Short, decimal, octal and hex forms (127.1, 2130706433, 0x7f000001) hide what they point at.
                throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + host + "' is a non-canonical IP address form: " + uri);
            }
            if (!isHostName(bare)) {
                throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + host + "' is not a valid host name: " + uri);
            }
        }
        if (!hostAllowed(bare)) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + host + "' is not in " + IngestOptions.FETCH_ALLOWED_HOSTS.key() + " " + hosts + ": " + uri);
        }
        InetAddress[] addresses;
        try {
            addresses = literal6 || CANONICAL_IPV4.matcher(bare).matches() ? new InetAddress[] {literal(bare)} : resolver.resolve(bare);
        } catch (UnknownHostException e) {
            throw new DocumentException(DocumentError.NOT_FOUND, "Unknown host '" + host + "': " + uri);
        } catch (IllegalArgumentException e) {
            throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + host + "' is not a plain IP address: " + uri);
        }
        if (addresses == null || addresses.length == 0) {
            throw new DocumentException(DocumentError.NOT_FOUND, "Unknown host '" + host + "': " + uri);
        }
        // Every address, not just the first: the client may connect to any of them.
        for (InetAddress a : addresses) {
            String refusal = refusal(a, port);
            if (refusal != null) {
                throw new DocumentException(DocumentError.FORBIDDEN, "Host '" + host + "' resolves to " + a.getHostAddress() + ", " + refusal + ": " + uri);
            }
        }
        return List.of(addresses);
    }

    /** Null when {@code address:port} may be connected to, else why not (for the dead letter). */
    public String refusal(InetAddress address, int port) {
        for (AddressRule rule : allowedAddresses) {
            if (rule.matches(address, port)) {
                return null;
            }
        }
        String blocked = blockedReason(address);
        return blocked == null ? null : blocked + " not allowed by " + IngestOptions.FETCH_ALLOWED_ADDRESSES.key() + " (port " + port + ")";
    }

    /** Why an address is not public, or null when it is. */
    static String blockedReason(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            Inet4Address embedded = embeddedIpv4(b);
            if (embedded != null) {
                String inner = blockedReason(embedded);
                if (inner != null) {
                    return "an IPv6 form of " + embedded.getHostAddress() + " (" + inner + ")";
                }
            }
        }
        for (Range r : BLOCKED) {
            if (r.contains(address)) {
                return r.reason;
            }
        }
        return null;
    }

    /** The IPv4 address carried by IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) forms. */
    private static Inet4Address embeddedIpv4(byte[] b) {
        byte[] v4 = null;
        if (isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
            v4 = java.util.Arrays.copyOfRange(b, 12, 16);
        } else if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b && isZero(b, 4, 12)) {
            v4 = java.util.Arrays.copyOfRange(b, 12, 16);
        } else if (b[0] == 0x20 && b[1] == 0x02) {
            v4 = java.util.Arrays.copyOfRange(b, 2, 6);
        }
        if (v4 == null) {
            return null;
        }
        try {
            return (Inet4Address) InetAddress.getByAddress(v4);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // four bytes are always a valid address
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private boolean hostAllowed(String host) {
        String h = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        for (String pattern : hosts) {
            if (pattern.equals("*") || pattern.equals(h)
                    || (pattern.startsWith("*.") && h.endsWith(pattern.substring(1)) && h.length() > pattern.length() - 1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A file:// URI's real path (symlinks and ".." resolved) when it lies below an allowed root. A root containing
     * {@code {tenant}} is the event's tenant's own folder ({@code /data/{tenant}}), so tenants cannot read each
     * other's files. The path is checked before the file system is asked whether it exists, so refusals do not
     * reveal which files exist outside the roots. Read the returned path, not the URI, without following links
     * (the URI may still name links that a later change could point elsewhere).
     */
    public Path checkFile(URI uri, String tenant) throws DocumentException, IOException {
        checkScheme(uri);
        List<Path> allowed = roots(tenant);
        if (allowed.isEmpty()) {
            throw new DocumentException(DocumentError.FORBIDDEN, "file:// not allowed (ingest.allowed-roots is empty)");
        }
        // No "." or ".." segment: the check would resolve them on paper while the OS resolves them after the
        // symlinks before them, so link/../x could pass as root/x and read the link target's x.
        for (String segment : String.valueOf(uri.getPath()).split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                throw new DocumentException(DocumentError.FORBIDDEN, "file:// uri may not have . or .. segments: " + uri);
            }
        }
        Path path;
        try {
            path = Paths.get(uri).toAbsolutePath().normalize();
        } catch (IllegalArgumentException e) {
            throw new DocumentException(DocumentError.INVALID_URI, "Invalid file uri: " + uri);
        }
        if (!below(path, allowed)) {
            throw new DocumentException(DocumentError.FORBIDDEN, "file:// not allowed outside ingest.allowed-roots: " + path);
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString());
        }
        Path real = path.toRealPath();
        if (!below(real, allowed)) {
            throw new DocumentException(DocumentError.FORBIDDEN, "file:// not allowed outside ingest.allowed-roots: " + real);
        }
        return real;
    }

    /** The allowed root a path {@link #checkFile} returned lies below: where a read of it starts. */
    public Path rootOf(Path real, String tenant) throws DocumentException {
        Path best = null;
        for (Path root : roots(tenant)) {
            if (real.startsWith(root) && (best == null || root.getNameCount() > best.getNameCount())) {
                best = root;
            }
        }
        if (best == null) {
            throw new DocumentException(DocumentError.FORBIDDEN, "file:// not allowed outside ingest.allowed-roots: " + real);
        }
        return best;
    }

    private static boolean below(Path path, List<Path> roots) {
        for (Path root : roots) {
            if (path.startsWith(root)) {
                return true;
            }
        }
        return false;
    }

    /** The allowed roots for one tenant: fixed roots resolved once, {@code {tenant}} roots per call. */
    private List<Path> roots(String tenant) throws DocumentException {
        if (roots == null) {
            List<Path> out = new ArrayList<>();
            for (String r : rootNames) {
                if (!r.contains(TENANT_PLACEHOLDER)) {
                    out.addAll(root(r));
                }
            }
            for (String r : literalRootNames) {
                out.addAll(root(Paths.get(r)));
            }
            roots = out;
        }
        List<Path> out = new ArrayList<>(roots);
        for (String r : rootNames) {
            if (r.contains(TENANT_PLACEHOLDER)) {
                if (tenant == null || !SAFE_TENANT.matcher(tenant).matches() || tenant.equals(".") || tenant.equals("..")) {
                    throw new DocumentException(DocumentError.FORBIDDEN, "Tenant '" + tenant + "' cannot name a folder of ingest.allowed-roots " + r);
                }
                out.addAll(root(r.replace(TENANT_PLACEHOLDER, tenant)));
            }
        }
        return out;
    }

    /** A root as written (absolute, normalized) and, when it differs, as its real path: both name the folder. */
    private static List<Path> root(String r) {
        return root(r.startsWith("file:") ? Paths.get(URI.create(r)) : Paths.get(r));
    }

    private static List<Path> root(Path given) {
        Path p = given.toAbsolutePath().normalize();
        try {
            Path real = p.toRealPath();
            return real.equals(p) ? List.of(p) : List.of(p, real);
        } catch (IOException e) {
            return List.of(p);
        }
    }

    /** An address range (CIDR) with a reason. */
    private static final class Range implements Serializable {
        private static final long serialVersionUID = 1L;
        final byte[] network;
        final int prefix;
        final String reason;

        Range(byte[] network, int prefix, String reason) {
            this.network = network;
            this.prefix = prefix;
            this.reason = reason;
        }

        static Range of(String cidr, String reason) {
            int slash = cidr.indexOf('/');
            byte[] net = literal(slash < 0 ? cidr : cidr.substring(0, slash)).getAddress();
            int prefix = slash < 0 ? net.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            if (prefix < 0 || prefix > net.length * 8) {
                throw new IllegalArgumentException("Bad prefix length in " + cidr);
            }
            return new Range(net, prefix, reason);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (a[full] & mask) == (network[full] & mask);
        }
    }

    /**
     * One {@code ingest.fetch.allowed-addresses} entry: {@code ADDRESS[/PREFIX][:PORT]} for IPv4,
     * {@code [ADDRESS[/PREFIX]][:PORT]} for IPv6; no port allows every port.
     */
    static final class AddressRule implements Serializable {
        private static final long serialVersionUID = 1L;
        final Range range;
        final int port;

        AddressRule(Range range, int port) {
            this.range = range;
            this.port = port;
        }

        static AddressRule parse(String text) {
            String addr;
            String portText = null;
            if (text.startsWith("[")) {
                int end = text.indexOf(']');
                if (end < 0) {
                    throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_ADDRESSES.key() + ": missing ']' in " + text);
                }
                addr = text.substring(1, end);
                String rest = text.substring(end + 1);
                if (rest.startsWith("/")) { // [fd00::]/8 as well as [fd00::/8]
                    int colon = rest.indexOf(':');
                    addr += colon < 0 ? rest : rest.substring(0, colon);
                    rest = colon < 0 ? "" : rest.substring(colon);
                }
                if (rest.startsWith(":")) {
                    portText = rest.substring(1);
                } else if (!rest.isEmpty()) {
                    throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_ADDRESSES.key() + ": unexpected '" + rest + "' in " + text);
                }
            } else {
                int colon = text.indexOf(':');
                if (colon >= 0 && text.indexOf(':', colon + 1) >= 0) {
                    throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_ADDRESSES.key() + ": write IPv6 addresses in brackets, e.g. [::1]:8080: " + text);
                }
                addr = colon < 0 ? text : text.substring(0, colon);
                portText = colon < 0 ? null : text.substring(colon + 1);
            }
            int port = -1;
            if (portText != null) {
                try {
                    port = Integer.parseInt(portText);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(IngestOptions.FETCH_ALLOWED_ADDRESSES.key() + ": bad port in " + text);
                }
            }
            return new AddressRule(Range.of(addr, "allowed"), port);
        }

        boolean matches(InetAddress address, int p) {
            return (port < 0 || port == p) && range.contains(address);
        }
    }

    /** Parses an IP literal without asking any name service. */
    private static InetAddress literal(String text) {
        boolean v4 = CANONICAL_IPV4.matcher(text).matches();
        if (!v4 && (text.indexOf(':') < 0 || !text.matches("[0-9a-fA-F:.]+"))) {
            throw new IllegalArgumentException("Not an IP address literal: " + text);
        }
        try {
            return InetAddress.getByName(text); // a literal: no lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("Not an IP address literal: " + text, e);
        }
    }
}
