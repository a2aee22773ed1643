using System.Text;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Http;
using Sigil.LocalControlPlane.KubeTypes;
using Sigil.LocalControlPlane.Semantics;
using static Sigil.LocalControlPlane.Tests.KubeTypes.ProtoBodies;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

public sealed class ProtobufObjectReaderTests
{
    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1";
    private const string Core = "k8s.io.api.core.v1";

    private static byte[] IntOrString(int value) => Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString", ("type", 0L), ("intVal", value), ("strVal", ""));
    private static byte[] IntOrString(string value) => Message("k8s.io.apimachinery.pkg.util.intstr.IntOrString", ("type", 1L), ("intVal", 0), ("strVal", value));
    private static byte[] Quantity(string value) => Message("k8s.io.apimachinery.pkg.api.resource.Quantity", ("string", value));
    private static byte[] Time(long seconds) => Message($"{Meta}.Time", ("seconds", seconds), ("nanos", 0));

    private static JsonObject Pod()
    {
        var metadata = Message($"{Meta}.ObjectMeta",
            ("name", "web-0"), ("generateName", ""), ("namespace", "shop"), ("uid", ""), ("resourceVersion", ""), ("generation", 0L),
            ("creationTimestamp", Time(1_700_000_000)),
            ("deletionTimestamp", Array.Empty<byte>()),
            ("labels", Entry($"{Meta}.ObjectMeta", "labels", "app", "web")),
            ("labels", Entry($"{Meta}.ObjectMeta", "labels", "tier", "")),
            ("managedFields", Message($"{Meta}.ManagedFieldsEntry", ("manager", "kubectl"), ("operation", "Update"),
                ("time", Time(1_700_000_000)), ("fieldsType", "FieldsV1"),
                ("fieldsV1", Message($"{Meta}.FieldsV1", ("Raw", """{"f:metadata":{"f:labels":{}}}"""u8.ToArray()))))));
        var probe = Message($"{Core}.Probe",
            ("handler", Message($"{Core}.ProbeHandler", ("httpGet", Message($"{Core}.HTTPGetAction", ("path", "/healthz"), ("port", IntOrString("http")))))),
            ("periodSeconds", 10));
        var container = Message($"{Core}.Container",
            ("name", "app"), ("image", "nginx:1.27"),
            ("ports", Message($"{Core}.ContainerPort", ("containerPort", 8080), ("protocol", "TCP"))),
            ("resources", Message($"{Core}.ResourceRequirements",
                ("limits", Entry($"{Core}.ResourceRequirements", "limits", "cpu", Quantity("500m"))),
                ("limits", Entry($"{Core}.ResourceRequirements", "limits", "memory", Quantity("128Mi"))))),
            ("livenessProbe", probe),
            ("readinessProbe", Message($"{Core}.Probe",
                ("handler", Message($"{Core}.ProbeHandler", ("tcpSocket", Message($"{Core}.TCPSocketAction", ("port", IntOrString(8080)))))))),
            ("command", "nginx"), ("command", "-g"), ("stdin", false), ("terminationMessagePath", ""));
        var spec = Message($"{Core}.PodSpec", ("containers", container), ("automountServiceAccountToken", false), ("terminationGracePeriodSeconds", 0L));
        return ProtobufBodies.Decode(Envelope("v1", "Pod", Message($"{Core}.Pod", ("metadata", metadata), ("spec", spec), ("status", Array.Empty<byte>()))));
    }

    [Fact]
    public void A_pod_reads_as_the_JSON_kube_apiserver_would_write_for_it()
    {
        var pod = Pod();

        Assert.Equal("v1", (string?)pod["apiVersion"]);
        Assert.Equal("Pod", (string?)pod["kind"]);
        Assert.Equal("web-0", (string?)pod["metadata"]!["name"]);
        Assert.Equal("shop", (string?)pod["metadata"]!["namespace"]);
        var container = pod["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.27", (string?)container["image"]);
        Assert.Equal(["nginx", "-g"], container["command"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(8080, (int)container["ports"]![0]!["containerPort"]!);
        Assert.Equal(10, (int)container["livenessProbe"]!["periodSeconds"]!);
    }

    [Fact]
    public void A_time_is_an_RFC_3339_string_and_a_zero_time_is_left_out()
    {
        var metadata = Pod()["metadata"]!;

        Assert.Equal("2023-11-14T22:13:20Z", (string?)metadata["creationTimestamp"]);
        Assert.Equal("2023-11-14T22:13:20Z", (string?)metadata["managedFields"]![0]!["time"]);
        Assert.False(metadata.AsObject().ContainsKey("deletionTimestamp"));
    }

    [Fact]
    public void A_micro_time_keeps_its_microseconds()
    {
        var renew = Message($"{Meta}.MicroTime", ("seconds", 1_700_000_000L), ("nanos", 123_456_789));
        var spec = Message("k8s.io.api.coordination.v1.LeaseSpec", ("holderIdentity", "sigil-1"), ("leaseDurationSeconds", 15), ("renewTime", renew));

        var lease = ProtobufBodies.Decode(Envelope("coordination.k8s.io/v1", "Lease", Message("k8s.io.api.coordination.v1.Lease", ("spec", spec))));

        Assert.Equal("2023-11-14T22:13:20.123456Z", (string?)lease["spec"]!["renewTime"]);
        Assert.Equal(15, (int)lease["spec"]!["leaseDurationSeconds"]!);
    }

    [Fact]
    public void A_quantity_is_its_string()
    {
        var limits = Pod()["spec"]!["containers"]![0]!["resources"]!["limits"]!;

        Assert.Equal("500m", (string?)limits["cpu"]);
        Assert.Equal("128Mi", (string?)limits["memory"]);
    }

    [Fact]
    public void An_int_or_string_is_a_number_or_a_string_as_its_type_says()
    {
        var container = Pod()["spec"]!["containers"]![0]!;

        var named = container["livenessProbe"]!["httpGet"]!["port"]!.AsValue();
        var numbered = container["readinessProbe"]!["tcpSocket"]!["port"]!.AsValue();

        Assert.Equal("http", named.GetValue<string>());
        Assert.Equal(8080, numbered.GetValue<int>());
    }

    [Fact]
    public void Fields_v1_is_embedded_JSON()
    {
        var fields = Pod()["metadata"]!["managedFields"]![0]!["fieldsV1"]!;

        Assert.Equal("""{"f:metadata":{"f:labels":{}}}""", fields.ToJsonString());
    }

    [Fact]
    public void A_raw_extension_is_embedded_JSON()
    {
        var data = Message("k8s.io.apimachinery.pkg.runtime.RawExtension", ("raw", """{"spec":{"replicas":3}}"""u8.ToArray()));

        var revision = ProtobufBodies.Decode(Envelope("apps/v1", "ControllerRevision",
            Message("k8s.io.api.apps.v1.ControllerRevision", ("data", data), ("revision", 2L))));

        Assert.Equal(3, (int)revision["data"]!["spec"]!["replicas"]!);
        Assert.Equal(2L, (long)revision["revision"]!);
    }

    [Fact]
    public void Bytes_are_base64_and_maps_keep_every_entry()
    {
        var secret = ProtobufBodies.Decode(Envelope("v1", "Secret", Message($"{Core}.Secret",
            ("data", Entry($"{Core}.Secret", "data", "tls.key", new byte[] { 0, 1, 2, 255 })),
            ("data", Entry($"{Core}.Secret", "data", "empty", Array.Empty<byte>())),
            ("type", "kubernetes.io/tls"))));

        Assert.Equal(Convert.ToBase64String([0, 1, 2, 255]), (string?)secret["data"]!["tls.key"]);
        Assert.Equal("", (string?)secret["data"]!["empty"]);
        Assert.Equal("kubernetes.io/tls", (string?)secret["type"]);
    }

    [Fact]
    public void Zero_values_go_to_protobuf_writes_for_every_field_read_as_the_JSON_would_show_them()
    {
        var pod = Pod();
        var metadata = pod["metadata"]!.AsObject();

        // Zeros of plain Go fields with omitempty are what the JSON leaves out.
        Assert.False(metadata.ContainsKey("generateName"));
        Assert.False(metadata.ContainsKey("uid"));
        Assert.False(metadata.ContainsKey("generation"));
        Assert.False(pod["spec"]!["containers"]![0]!.AsObject().ContainsKey("stdin"));
        Assert.False(pod["spec"]!["containers"]![0]!.AsObject().ContainsKey("terminationMessagePath"));
        // An empty label value is a value, and a pointer's false or 0 means something, as does a required field's zero.
        Assert.Equal(8080, (int)pod["spec"]!["containers"]![0]!["ports"]![0]!["containerPort"]!);
        Assert.Equal("", (string?)metadata["labels"]!["tier"]);
        Assert.False((bool)pod["spec"]!["automountServiceAccountToken"]!);
        Assert.Equal(0L, (long)pod["spec"]!["terminationGracePeriodSeconds"]!);
        Assert.Equal("{}", pod["status"]!.ToJsonString());
    }

    [Fact]
    public void Delete_options_come_from_meta_v1_whatever_group_version_they_are_sent_with()
    {
        var options = Message($"{Meta}.DeleteOptions", ("gracePeriodSeconds", 0L), ("propagationPolicy", "Foreground"),
            ("preconditions", Message($"{Meta}.Preconditions", ("uid", "uid-1"))), ("dryRun", "All"));

        var obj = ProtobufBodies.Decode(Envelope("apps/v1", "DeleteOptions", options));

        Assert.Equal("Foreground", (string?)obj["propagationPolicy"]);
        Assert.Equal(0L, (long)obj["gracePeriodSeconds"]!);
        Assert.Equal("uid-1", (string?)obj["preconditions"]!["uid"]);
        Assert.Equal("All", (string?)obj["dryRun"]![0]);
    }

    [Fact]
    public void Every_served_built_in_kind_has_a_definition()
    {
        var missing = Catalog.BuiltInResources.All
            .Where(r => KubeTypeDescriptors.Instance.FindKind(r.ApiVersion, r.Kind) is null)
            .Select(r => r.KindGroup);

        Assert.Empty(missing);
    }

    [Fact]
    public void A_CRD_reads_with_its_schema_as_JSON_Schema_names_it()
    {
        const string Ext = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1";
        var size = Message($"{Ext}.JSONSchemaProps", ("type", "integer"), ("default", Message($"{Ext}.JSON", ("raw", "3"u8.ToArray()))),
            ("nullable", false), ("xKubernetesIntOrString", false));
        var tags = Message($"{Ext}.JSONSchemaProps", ("type", "array"), ("xKubernetesListType", "set"),
            ("items", Message($"{Ext}.JSONSchemaPropsOrArray", ("schema", Message($"{Ext}.JSONSchemaProps", ("type", "string"))))));
        var spec = Message($"{Ext}.JSONSchemaProps", ("type", "object"), ("xKubernetesPreserveUnknownFields", false),
            ("properties", Entry($"{Ext}.JSONSchemaProps", "properties", "size", size)),
            ("properties", Entry($"{Ext}.JSONSchemaProps", "properties", "tags", tags)),
            ("additionalProperties", Message($"{Ext}.JSONSchemaPropsOrBool", ("allows", true))));
        var root = Message($"{Ext}.JSONSchemaProps", ("type", "object"), ("properties", Entry($"{Ext}.JSONSchemaProps", "properties", "spec", spec)));
        var version = Message($"{Ext}.CustomResourceDefinitionVersion", ("name", "v1"), ("served", true), ("storage", true),
            ("schema", Message($"{Ext}.CustomResourceValidation", ("openAPIV3Schema", root))));
        var crd = Message($"{Ext}.CustomResourceDefinition",
            ("metadata", Message($"{Meta}.ObjectMeta", ("name", "gadgets.example.com"))),
            ("spec", Message($"{Ext}.CustomResourceDefinitionSpec", ("group", "example.com"), ("scope", "Namespaced"), ("versions", version),
                ("names", Message($"{Ext}.CustomResourceDefinitionNames", ("plural", "gadgets"), ("kind", "Gadget"))))));

        var obj = ProtobufBodies.Decode(Envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd));

        var schema = obj["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        Assert.False((bool)schema["x-kubernetes-preserve-unknown-fields"]!);
        Assert.True((bool)schema["additionalProperties"]!);
        Assert.Equal(3, (int)schema["properties"]!["size"]!["default"]!);
        Assert.False(schema["properties"]!["size"]!.AsObject().ContainsKey("nullable"));
        Assert.False(schema["properties"]!["size"]!.AsObject().ContainsKey("x-kubernetes-int-or-string"));
        Assert.Equal("set", (string?)schema["properties"]!["tags"]!["x-kubernetes-list-type"]);
        Assert.Equal("string", (string?)schema["properties"]!["tags"]!["items"]!["type"]);
    }

    [Fact]
    public void An_access_review_reads_with_its_extra_values_as_plain_string_arrays()
    {
        const string Authz = "k8s.io.api.authorization.v1";
        var extra = Message($"{Authz}.ExtraValue", ("items", "a"), ("items", "b"));
        var spec = Message($"{Authz}.SubjectAccessReviewSpec", ("user", "alice"), ("groups", "dev"),
            ("extra", Entry($"{Authz}.SubjectAccessReviewSpec", "extra", "scopes", extra)),
            ("resourceAttributes", Message($"{Authz}.ResourceAttributes", ("verb", "get"), ("resource", "secrets"), ("namespace", "shop"))));

        var review = ProtobufBodies.Decode(Envelope("authorization.k8s.io/v1", "SubjectAccessReview", Message($"{Authz}.SubjectAccessReview", ("spec", spec))));

        Assert.Equal("""["a","b"]""", review["spec"]!["extra"]!["scopes"]!.ToJsonString());
        Assert.Equal("secrets", (string?)review["spec"]!["resourceAttributes"]!["resource"]);
        Assert.Equal("alice", (string?)review["spec"]!["user"]);
    }

    public static TheoryData<string, byte[]> MalformedBodies => new()
    {
        { "no envelope prefix", """{"kind":"Secret"}"""u8.ToArray() },
        { "a truncated object", Envelope("v1", "Secret", Message($"{Core}.Secret", ("type", "Opaque")))[..^3] },
        { "a field with the wrong wire type", Envelope("v1", "Secret", Message($"{Core}.Secret", ("type", 7))) },
        { "a length past the end", [.. "k8s\0"u8.ToArray(), 0x12, 0xff, 0x01, 0x00] },
        { "a varint that never ends", [.. "k8s\0"u8.ToArray(), 0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] },
        { "an embedded object that is neither JSON nor protobuf", Envelope("apps/v1", "ControllerRevision", Message("k8s.io.api.apps.v1.ControllerRevision",
            ("data", Message("k8s.io.apimachinery.pkg.runtime.RawExtension", ("raw", "not json"u8.ToArray()))))) },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public void A_malformed_body_is_a_400_not_a_crash(string malformation, byte[] body)
    {
        var error = Assert.Throws<ApiException>(() => ProtobufBodies.Decode(body));

        Assert.True(error.Code == 400, $"{malformation}: {error.Code} {error.Message}");
    }

    [Theory]
    [InlineData("sigil.dev/v1alpha1", "ServiceIdentity")]
    [InlineData("apps/v1", "Nonexistent")]
    [InlineData("batch/v1", "Job")]
    [InlineData("", "")]
    public void A_kind_without_a_definition_is_a_415_that_names_it_and_says_to_send_JSON(string apiVersion, string kind)
    {
        var error = Assert.Throws<ApiException>(() => ProtobufBodies.Decode(Envelope(apiVersion, kind, [])));

        Assert.Equal(415, error.Code);
        Assert.Contains($"\"{kind}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("send application/json", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1_500_000L, "1.5ms")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(-2_500_000_000L, "-2.5s")]
    public void A_duration_reads_as_Go_writes_it(long nanos, string expected)
    {
        Assert.Equal(expected, ProtobufObjectReader.GoDuration(nanos));
    }

    [Fact]
    public void Nesting_past_the_limit_is_a_400()
    {
        // RawExtensions holding protobuf objects that hold RawExtensions, deeper than any real object.
        var body = Encoding.UTF8.GetBytes("{}");
        for (var i = 0; i < 40; i++)
        {
            body = Envelope("apps/v1", "ControllerRevision", Message("k8s.io.api.apps.v1.ControllerRevision",
                ("data", Message("k8s.io.apimachinery.pkg.runtime.RawExtension", ("raw", body)))));
        }

        var error = Assert.Throws<ApiException>(() => ProtobufBodies.Decode(body));

        Assert.Equal(400, error.Code);
    }
}
