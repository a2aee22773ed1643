namespace Sigil.LocalControlPlane.Catalog;

/// <summary>The built-in kinds the emulator serves, with the scope and names a real cluster gives them.</summary>
internal static class BuiltInResources
{
    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Core("namespaces", "Namespace", false, ["ns"]) with { HasStatus = true },
        Core("secrets", "Secret", true),
        Core("configmaps", "ConfigMap", true, ["cm"]),
        Core("serviceaccounts", "ServiceAccount", true, ["sa"]),
        Core("services", "Service", true, ["svc"], ["all"]) with { HasStatus = true },
        Core("events", "Event", true, ["ev"]),
        Core("pods", "Pod", true, ["po"], ["all"]) with { HasStatus = true },
        new("events.k8s.io", "v1", "events", "event", "Event", true, "events") { ShortNames = ["ev"] },
        new("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, "leases"),
        Apps("deployments", "Deployment", ["deploy"]),
        Apps("statefulsets", "StatefulSet", ["sts"]),
        Apps("daemonsets", "DaemonSet", ["ds"]),
        Apps("replicasets", "ReplicaSet", ["rs"]),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, "customresourcedefinitions")
        {
            ShortNames = ["crd", "crds"], HasStatus = true, TracksGeneration = true,
        },
        Rbac("roles", "Role", true),
        Rbac("rolebindings", "RoleBinding", true),
        Rbac("clusterroles", "ClusterRole", false),
        Rbac("clusterrolebindings", "ClusterRoleBinding", false),
        new("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, "poddisruptionbudgets")
        {
            ShortNames = ["pdb"], HasStatus = true, TracksGeneration = true,
        },
        // Two views of one store, v1beta1 first (the preferred version), as a 1.33+ cluster with the beta API on serves them.
        ClusterTrustBundles("v1beta1"),
        ClusterTrustBundles("v1alpha1"),
        // Kubernetes 1.35's beta (Semantics/PodCertificateRequestRules.cs); 1.34 served only v1alpha1, behind a gate.
        new("certificates.k8s.io", "v1beta1", "podcertificaterequests", "podcertificaterequest", "PodCertificateRequest", true, "podcertificaterequests")
        {
            HasStatus = true,
        },
        AccessReview("selfsubjectaccessreviews", "SelfSubjectAccessReview", false),
        AccessReview("selfsubjectrulesreviews", "SelfSubjectRulesReview", false),
        AccessReview("subjectaccessreviews", "SubjectAccessReview", false),
        AccessReview("localsubjectaccessreviews", "LocalSubjectAccessReview", true),
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, "selfsubjectreviews") { Verbs = ["create"] },
    ];

    /// <summary>Create-only kinds that are answered, never stored (Authorization/AccessReviews.cs, SelfSubjectReviews.cs).</summary>
    private static ResourceType AccessReview(string plural, string kind, bool namespaced) =>
        new("authorization.k8s.io", "v1", plural, kind.ToLowerInvariant(), kind, namespaced, plural) { Verbs = ["create"] };

    private static ResourceType Core(string plural, string kind, bool namespaced, string[]? shortNames = null, string[]? categories = null) =>
        new("", "v1", plural, kind.ToLowerInvariant(), kind, namespaced, plural)
        {
            ShortNames = shortNames ?? [], Categories = categories ?? [],
        };

    private static ResourceType Apps(string plural, string kind, string[] shortNames) =>
        new("apps", "v1", plural, kind.ToLowerInvariant(), kind, true, plural)
        {
            ShortNames = shortNames, Categories = ["all"], HasStatus = true, TracksGeneration = true,
        };

    private static ResourceType ClusterTrustBundles(string version) =>
        new("certificates.k8s.io", version, "clustertrustbundles", "clustertrustbundle", "ClusterTrustBundle", false, "clustertrustbundles");

    private static ResourceType Rbac(string plural, string kind, bool namespaced) =>
        new("rbac.authorization.k8s.io", "v1", plural, kind.ToLowerInvariant(), kind, namespaced, plural);
}
