package io.streamrag.ingest.fetch;

import io.streamrag.common.testing.TaskStack;
import io.streamrag.ingest.IngestOptions;
import io.streamrag.ingest.extract.DocumentException;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The fetch policy's decisions on private, link-local, loopback and public addresses. Names resolve through a fake
 * resolver and addresses are built from bytes: nothing here asks a name service or connects anywhere.
 */
class FetchPolicyTest {

    /** Fake DNS: the names these tests use, and a record of every name asked. */
    private final List<String> asked = new ArrayList<>();
    private final Map<String, String> dns = Map.of(
            "docs.example.com", "93.184.216.34",
            "metadata.example.com", "169.254.169.254",
            "intranet.example.com", "10.1.2.3",
            "mixed.example.com", "93.184.216.34,192.168.1.10",
            "rebind.example.com", "127.0.0.1",
            "v6.example.com", "2606:4700::1111",
            "ula.example.com", "fd00:ec2::254",
            "localhost", "127.0.0.1",
            "localhost.", "127.0.0.1");

    private InetAddress[] resolve(String host) throws UnknownHostException {
        asked.add(host);
        String a = dns.get(host);
        if (a == null) {
            throw new UnknownHostException(host);
        }
        List<InetAddress> out = new ArrayList<>();
        for (String s : a.split(",")) {
            out.add(InetAddress.getByName(s)); // literals only: parsed, not looked up
        }
        return out.toArray(new InetAddress[0]);
    }

    private FetchPolicy policy(List<String> hosts, List<String> addresses) {
        return new FetchPolicy(List.of("http", "https", "file"), hosts, addresses, List.of(), this::resolve);
    }

    private static String refusal(FetchPolicy p, String uri) {
        try {
            p.checkHttp(URI.create(uri));
            return null;
        } catch (DocumentException e) {
            return e.error() + ": " + e.getMessage();
        }
    }

    @Test
    void refusesEveryNonPublicAddressAndAllowsPublicOnes() throws Exception {
        String[][] cases = {
                {"127.0.0.1", "loopback"}, {"127.255.255.254", "loopback"}, {"::1", "loopback"},
                {"0.0.0.0", "unspecified"}, {"::", "unspecified"},
                {"10.0.0.1", "private"}, {"172.16.0.1", "private"}, {"172.31.255.255", "private"}, {"192.168.0.1", "private"},
                {"169.254.169.254", "link-local"}, {"fe80::1", "link-local"},
                {"fd00:ec2::254", "unique-local"}, {"fc00::1", "unique-local"}, {"fec0::1", "site-local"},
                {"100.64.0.1", "carrier-grade NAT"}, {"100.100.100.200", "carrier-grade NAT"},
                {"224.0.0.1", "multicast"}, {"ff02::1", "multicast"}, {"255.255.255.255", "broadcast"},
                {"::ffff:169.254.169.254", "link-local"}, // Java maps it to the IPv4 address
                {"::127.0.0.1", "IPv4-compatible"},
                {"64:ff9b::a9fe:a9fe", "169.254.169.254"}, // NAT64 of the metadata address
                {"2002:7f00:1::1", "127.0.0.1"}, // 6to4 of loopback
                {"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"},
        };
        FetchPolicy p = policy(List.of("*"), List.of());
        for (String[] c : cases) {
            InetAddress a = InetAddress.getByName(c[0]);
            assertThat(p.refusal(a, 80)).as(c[0]).isNotNull().contains(c[1]);
        }
        for (String publicAddress : new String[] {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                "64:ff9b::808:808", "2002:808:808::1"}) {
            assertThat(p.refusal(InetAddress.getByName(publicAddress), 443)).as(publicAddress).isNull();
        }
    }

    @Test
    void checksTheResolvedAddressesOfANameNotTheName() {
        FetchPolicy p = policy(List.of("*.example.com", "localhost"), List.of());
        assertThat(refusal(p, "https://docs.example.com/manual.pdf")).isNull();
        assertThat(refusal(p, "https://v6.example.com/manual.pdf")).isNull();
        assertThat(refusal(p, "http://metadata.example.com/latest/meta-data/")).startsWith("Forbidden").contains("169.254.169.254", "link-local");
        assertThat(refusal(p, "http://intranet.example.com/")).startsWith("Forbidden").contains("10.1.2.3", "private");
        assertThat(refusal(p, "http://ula.example.com/")).startsWith("Forbidden").contains("unique-local");
        // One bad address among good ones is enough: the client may pick any of them.
        assertThat(refusal(p, "http://mixed.example.com/")).startsWith("Forbidden").contains("192.168.1.10");
        assertThat(refusal(p, "http://rebind.example.com/")).startsWith("Forbidden").contains("loopback");
        assertThat(refusal(p, "http://localhost:9200/")).startsWith("Forbidden").contains("loopback");
        assertThat(refusal(p, "http://LOCALHOST./")).startsWith("Forbidden").contains("loopback");
        assertThat(refusal(p, "http://nowhere.example.com/")).startsWith("NotFound");
    }

    @Test
    void refusesNonCanonicalNumericHostsWithoutResolvingThem() {
        FetchPolicy p = policy(List.of("*"), List.of());
        for (String host : new String[] {"127.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "127.000.000.001",
                "017700000001", "127.0.0.1.", "10.1"}) {
            assertThat(refusal(p, "http://" + host + ":9200/")).as(host).startsWith("Forbidden").contains("non-canonical");
        }
        assertThat(refusal(p, "http://exa_mple.com/")).startsWith("Forbidden");
        assertThat(asked).isEmpty();
    }

    @Test
    void hostsLongerThanDnsAllowsAreInvalidBeforeAnyPatternRunsOnThem() throws Exception {
        // Each overflowed a 1 MB task thread stack in a host pattern that recursed once per label.
        String numeric = "http://1" + ".1".repeat(1500) + "/doc.pdf"; // java.net.URI leaves the host null
        String named = "http://a" + ".a".repeat(2000) + "/doc.pdf";
        String namedWithPort = "http://a" + ".a".repeat(2000) + ":8080/doc.pdf";
        FetchPolicy p = policy(List.of("*"), List.of());
        Object result = TaskStack.run(() -> List.of(refusal(p, numeric), refusal(p, named), refusal(p, namedWithPort)));
        assertThat(result).isInstanceOf(List.class);
        assertThat((List<?>) result).allSatisfy(r -> assertThat((String) r).startsWith("InvalidUri").contains("253"));
        assertThat(asked).isEmpty();
        // 253 characters are still a host name.
        String longest = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertThat(longest).hasSize(253);
        assertThat(refusal(p, "http://" + longest + "/")).startsWith("NotFound");
        assertThat(refusal(p, "http://" + longest + "./")).startsWith("NotFound");
        assertThat(refusal(p, "http://" + longest + "e/")).startsWith("InvalidUri");
    }

    @Test
    void theHostChecksDecideAsTheRecursivePatternsDid() {
        // The patterns before they were replaced by checks of one label at a time.
        java.util.regex.Pattern numeric = java.util.regex.Pattern.compile("(0x[0-9a-f]*|\\d+)(\\.(0x[0-9a-f]*|\\d+))*\\.?");
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\\.?");
        java.util.Random random = new java.util.Random(7);
        String alphabet = "0x1af9.-_z";
        List<String> hosts = new ArrayList<>(List.of("", ".", "..", "0x", "0x.", "1.", "1..", ".1", "a-", "-a", "a.-b", "a.b.",
                "a..b", "127.1", "0x7f.0.0.1", "exa_mple.com", "docs.example.com", "xn--bcher-kva.example"));
        for (int i = 0; i < 200_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = random.nextInt(12); n > 0; n--) {
                sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            hosts.add(sb.toString());
        }
        for (String host : hosts) {
            assertThat(FetchPolicy.isNumericHost(host)).as(host).isEqualTo(numeric.matcher(host).matches());
            assertThat(FetchPolicy.isHostName(host)).as(host).isEqualTo(name.matcher(host).matches());
        }
    }

    @Test
    void schemesWrittenWithCommasFailThePolicyNamingTheOption() {
        Configuration commas = new Configuration();
        commas.setString(IngestOptions.FETCH_ALLOWED_SCHEMES.key(), "file,http,https");
        // One entry "file,http,https" refused every document; now the job does not start with it.
        assertThatThrownBy(() -> FetchPolicy.from(commas)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.fetch.allowed-schemes").hasMessageContaining("'file,http,https'")
                .hasMessageContaining("file;http;https");
        Configuration odd = new Configuration();
        odd.setString(IngestOptions.FETCH_ALLOWED_SCHEMES.key(), "http;1ftp");
        assertThatThrownBy(() -> FetchPolicy.from(odd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.fetch.allowed-schemes").hasMessageContaining("'1ftp'").hasMessageNotContaining(";");
        Configuration semicolons = new Configuration();
        semicolons.setString(IngestOptions.FETCH_ALLOWED_SCHEMES.key(), "file; HTTP ;https;s3a;svn+ssh;x-y.z");
        FetchPolicy p = FetchPolicy.from(semicolons);
        assertThat(refusal(p, "https://docs.example.com/a.pdf")).contains("not in ingest.fetch.allowed-hosts");
        assertThat(refusal(p, "http://docs.example.com/a.pdf")).contains("not in ingest.fetch.allowed-hosts");
    }

    /** The same trap in the other list options: one entry no URI matches, so nothing was fetched and nothing said why. */
    @Test
    void hostsAndPrefixesWrittenWithCommasFailThePolicyNamingTheOption() {
        Configuration hosts = new Configuration();
        hosts.setString(IngestOptions.FETCH_ALLOWED_HOSTS.key(), "a.example.com, b.example.com");
        assertThatThrownBy(() -> FetchPolicy.from(hosts)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.fetch.allowed-hosts").hasMessageContaining("a.example.com;b.example.com");
        Configuration prefixes = new Configuration();
        prefixes.setString(IngestOptions.FETCH_ALLOWED_SCHEMES.key(), "s3");
        prefixes.setString(IngestOptions.FETCH_ALLOWED_PREFIXES.key(), "s3://docs/{tenant}/,s3://shared/");
        assertThatThrownBy(() -> FetchPolicy.from(prefixes)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ingest.fetch.allowed-prefixes").hasMessageContaining("separated by ';'");
        for (String entry : new String[] {"docs.example.com:8080", "https://docs.example.com", "docs.example.com/pdfs", "*example.com"}) {
            Configuration odd = new Configuration();
            odd.setString(IngestOptions.FETCH_ALLOWED_HOSTS.key(), entry); // compared with a URI's host: never matched
            assertThatThrownBy(() -> FetchPolicy.from(odd)).as(entry).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ingest.fetch.allowed-hosts").hasMessageContaining("not a host name");
        }
        Configuration fine = new Configuration();
        fine.setString(IngestOptions.FETCH_ALLOWED_HOSTS.key(), "a.example.com; *.example.org; 127.0.0.1; [::1]; docs.example.com.; *");
        fine.setString(IngestOptions.FETCH_ALLOWED_PREFIXES.key(), "s3://docs/{tenant}/;s3://shared/");
        assertThat(FetchPolicy.from(fine)).isNotNull();
    }

    @Test
    void literalAddressesAreCheckedLikeResolvedOnes() {
        FetchPolicy p = policy(List.of("*"), List.of());
        assertThat(refusal(p, "http://127.0.0.2/")).contains("loopback");
        assertThat(refusal(p, "http://0.0.0.0:9200/")).contains("unspecified");
        assertThat(refusal(p, "http://[::1]:9200/")).contains("loopback");
        assertThat(refusal(p, "http://[::ffff:127.0.0.1]:9200/")).contains("loopback");
        assertThat(refusal(p, "http://[0:0:0:0:0:ffff:7f00:1]:9200/")).contains("loopback");
        assertThat(refusal(p, "http://[::]:9200/")).contains("unspecified");
        assertThat(refusal(p, "http://169.254.169.254/latest/")).contains("link-local");
        assertThat(refusal(p, "http://[fe80::1%25eth0]/")).startsWith("Forbidden");
        assertThat(refusal(p, "http://93.184.216.34/")).isNull();
        assertThat(asked).isEmpty(); // literals are never looked up
    }

    @Test
    void allowsOnlyConfiguredHostsSchemesAndAddresses() {
        FetchPolicy none = new FetchPolicy(List.of("file", "http", "https"), List.of(), List.of(), List.of(), this::resolve);
        assertThat(refusal(none, "https://docs.example.com/a.pdf")).contains("not in ingest.fetch.allowed-hosts");

        FetchPolicy p = policy(List.of("docs.example.com", "*.corp.example.com", "127.0.0.1"), List.of("127.0.0.1:8000", "[::1]/128"));
        assertThat(refusal(p, "https://docs.example.com/a.pdf")).isNull();
        assertThat(refusal(p, "https://evil.example.com/a.pdf")).contains("not in ingest.fetch.allowed-hosts");
        assertThat(refusal(p, "https://corp.example.com.evil.net/")).contains("not in ingest.fetch.allowed-hosts");
        assertThat(refusal(p, "http://127.0.0.1:8000/doc")).isNull();
        assertThat(refusal(p, "http://127.0.0.1:9200/doc")).contains("loopback", "port 9200");
        assertThat(refusal(p, "http://user:pw@docs.example.com/a.pdf")).contains("Credentials");
        assertThat(refusal(p, "ftp://docs.example.com/a.pdf")).contains("not in ingest.fetch.allowed-schemes");
        assertThatThrownBy(() -> p.checkScheme(URI.create("jar:file:///x.jar!/a"))).hasMessageContaining("allowed-schemes");
        assertThatThrownBy(() -> p.checkScheme(URI.create("gopher://127.0.0.1:9200/"))).hasMessageContaining("allowed-schemes");

        FetchPolicy ranges = policy(List.of("*"), List.of("10.0.0.0/8", "[fd00::]/8:443"));
        assertThat(ranges.refusal(addr("10.9.8.7"), 80)).isNull();
        assertThat(ranges.refusal(addr("fd12::1"), 443)).isNull();
        assertThat(ranges.refusal(addr("fd12::1"), 80)).contains("unique-local");
        assertThat(ranges.refusal(addr("192.168.0.1"), 80)).contains("private");
    }

    @Test
    void defaultsAllowNoNetworkFetchAndRejectBadEntries() {
        FetchPolicy defaults = FetchPolicy.from(new Configuration());
        assertThat(refusal(defaults, "https://docs.example.com/a.pdf")).contains("not in ingest.fetch.allowed-hosts []");
        Configuration bad = new Configuration();
        bad.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("intranet.example.com"));
        assertThatThrownBy(() -> FetchPolicy.from(bad)).isInstanceOf(IllegalArgumentException.class);
        bad.set(IngestOptions.FETCH_ALLOWED_ADDRESSES, List.of("::1:8080"));
        assertThatThrownBy(() -> FetchPolicy.from(bad)).hasMessageContaining("brackets");
    }

    /** The files source's folder is one root taken as written: a comma does not split it, a {tenant} is no template. */
    @Test
    void sourceRootIsTakenAsWritten(@TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path comma = Files.createDirectories(tmp.resolve("Q1,Q2"));
        java.nio.file.Path q1 = Files.createDirectories(tmp.resolve("Q1"));
        java.nio.file.Path literal = Files.createDirectories(tmp.resolve("{tenant}"));
        java.nio.file.Path acme = Files.createDirectories(tmp.resolve("acme"));
        java.nio.file.Path other = Files.createDirectories(tmp.resolve("other"));
        for (java.nio.file.Path d : List.of(comma, q1, literal, acme, other)) {
            Files.writeString(d.resolve("a.txt"), "x");
        }
        Configuration conf = new Configuration();
        conf.set(IngestOptions.ALLOWED_ROOTS, other.toString());

        FetchPolicy p = FetchPolicy.from(conf, comma.toString());
        assertThat(p.checkFile(comma.resolve("a.txt").toUri(), "acme")).isEqualTo(comma.resolve("a.txt").toRealPath());
        assertThat(p.checkFile(other.resolve("a.txt").toUri(), "acme")).isEqualTo(other.resolve("a.txt").toRealPath());
        assertThatThrownBy(() -> p.checkFile(q1.resolve("a.txt").toUri(), "acme")).isInstanceOf(DocumentException.class);

        FetchPolicy t = FetchPolicy.from(new Configuration(), literal.toString());
        assertThat(t.checkFile(literal.resolve("a.txt").toUri(), "acme")).isEqualTo(literal.resolve("a.txt").toRealPath());
        assertThatThrownBy(() -> t.checkFile(acme.resolve("a.txt").toUri(), "acme")).isInstanceOf(DocumentException.class);
    }

    private static InetAddress addr(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String storeRefusal(FetchPolicy p, String uri, String tenant) {
        try {
            p.checkStore(URI.create(uri), tenant);
            return null;
        } catch (DocumentException e) {
            return e.getMessage();
        }
    }

    @Test
    void objectStoreUrisMustLieBelowTheTenantsPrefix() {
        FetchPolicy p = new FetchPolicy(List.of("s3", "hdfs"), List.of(), List.of(), List.of(), List.of(),
                List.of("S3://docs/{tenant}", "hdfs://namenode/shared/"), this::resolve);
        assertThat(storeRefusal(p, "s3://docs/acme/a.pdf", "acme")).isNull();
        assertThat(storeRefusal(p, "s3://docs/acme/sub/a.pdf", "acme")).isNull();
        assertThat(storeRefusal(p, "hdfs://namenode/shared/a.pdf", "anyone")).isNull();
        assertThat(storeRefusal(p, "s3://docs/acme/a.pdf", "evil")).contains("outside ingest.fetch.allowed-prefixes");
        assertThat(storeRefusal(p, "s3://docs/acme-evil/a.pdf", "acme")).isNotNull(); // a prefix ends at a '/'
        assertThat(storeRefusal(p, "s3://docs/acme", "acme")).isNotNull();
        assertThat(storeRefusal(p, "s3://docs/evil/../acme/a.pdf", "evil")).contains(".. or empty segments");
        assertThat(storeRefusal(p, "s3://docs/evil/%2e%2e/acme/a.pdf", "evil")).contains(".. or empty segments");
        assertThat(storeRefusal(p, "s3://docs/acme/./a.pdf", "acme")).isNotNull();
        assertThat(storeRefusal(p, "s3://docs/acme//a.pdf", "acme")).isNotNull();
        assertThat(storeRefusal(p, "s3://docs/acme/a.pdf?versionId=1", "acme")).contains("without query");
        assertThat(storeRefusal(p, "s3://other/acme/a.pdf", "acme")).isNotNull();
        assertThat(storeRefusal(p, "s3://docs/../a.pdf", "..")).isNotNull(); // a tenant that cannot name a prefix
        assertThat(storeRefusal(p, "gs://docs/acme/a.pdf", "acme")).contains("not in ingest.fetch.allowed-schemes");
        assertThat(p.unboundedStoreSchemes()).isEmpty();
    }

    @Test
    void withoutPrefixesAnAllowedStoreIsUnboundedAndSaysSo() {
        FetchPolicy p = new FetchPolicy(List.of("file", "s3"), List.of(), List.of(), List.of(), this::resolve);
        assertThat(storeRefusal(p, "s3://docs/anyone/a.pdf", "acme")).isNull();
        assertThat(p.unboundedStoreSchemes()).containsExactly("s3");
        assertThat(FetchPolicy.from(new Configuration()).unboundedStoreSchemes()).isEmpty();
        assertThatThrownBy(() -> new FetchPolicy(List.of("s3"), List.of(), List.of(), List.of(),
                List.of(), List.of("docs/{tenant}/"), this::resolve)).hasMessageContaining("URI prefixes");
    }
}
