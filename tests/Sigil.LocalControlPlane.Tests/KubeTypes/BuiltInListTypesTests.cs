using Sigil.LocalControlPlane.KubeTypes;

namespace Sigil.LocalControlPlane.Tests.KubeTypes;

public sealed class BuiltInListTypesTests
{
    public static TheoryData<string, string, string, string, string?, string> Lists => new()
    {
        // group, version, kind, path, list type, map keys
        { "apps", "v1", "Deployment", "spec.template.spec.containers", "map", "name" },
        { "apps", "v1", "Deployment", "spec.template.spec.containers.ports", "map", "containerPort,protocol" },
        { "apps", "v1", "Deployment", "spec.template.spec.containers.env", "map", "name" },
        { "", "v1", "Pod", "spec.volumes", "map", "name" },
        { "", "v1", "Pod", "metadata.finalizers", "set", "" },
        { "", "v1", "Service", "spec.ports", "map", "port,protocol" },
        { "", "v1", "Pod", "spec.containers.command", "atomic", "" },
        { "rbac.authorization.k8s.io", "v1", "Role", "rules", "atomic", "" },
        { "apps", "v1", "StatefulSet", "spec.volumeClaimTemplates", "atomic", "" },
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public void A_list_field_of_a_built_in_kind_has_the_list_type_its_definition_marks(
        string group, string version, string kind, string path, string? listType, string mapKeys)
    {
        var semantics = BuiltInListTypes.Find(group, version, kind, path.Split('.'));

        Assert.NotNull(semantics);
        Assert.Equal(listType, semantics.ListType);
        Assert.Equal(mapKeys, string.Join(',', semantics.MapKeys));
    }

    [Fact]
    public void Strategic_merge_markers_come_with_the_list_type()
    {
        var volumes = BuiltInListTypes.Find("", "v1", "Pod", ["spec", "volumes"])!;

        Assert.Equal("merge,retainKeys", volumes.PatchStrategy);
        Assert.Equal("name", volumes.PatchMergeKey);
    }

    [Theory]
    [InlineData("sigil.dev", "v1alpha1", "ServiceIdentity", "spec.apiKeys")]
    [InlineData("apps", "v1", "Deployment", "spec.nonexistent")]
    [InlineData("apps", "v1", "Deployment", "spec.replicas")]
    [InlineData("apps", "v1", "Deployment", "metadata.labels")]
    [InlineData("apps", "v1", "Deployment", "spec.replicas.deeper")]
    public void Anything_that_is_not_a_list_of_a_built_in_kind_has_no_answer(string group, string version, string kind, string path)
    {
        Assert.Null(BuiltInListTypes.Find(group, version, kind, path.Split('.')));
    }
}
