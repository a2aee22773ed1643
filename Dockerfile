# Build: the SDK image restores and publishes the program, without the local control plane (an emulator no cluster needs).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY crds/ crds/
COPY operator/ operator/
RUN dotnet publish operator/Sigil.csproj -c Release -o /app --nologo \
    -p:UseAppHost=false -p:DebugType=none -p:GenerateDocumentationFile=false \
    -p:IncludeLocalControlPlane=false

# Run: the chiseled ASP.NET runtime has no shell and no package manager, and runs as a non-root user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /app ./
# A 32 MB gen0 budget: the load harness measured the peak while issuing 10,000 identities at 264 MiB with it, 290 MiB without
# (GC settings with a runtimeconfig knob are in operator/Sigil.csproj; this one has only the variable).
ENV DOTNET_EnableDiagnostics=0 \
    DOTNET_gcServer=0 \
    DOTNET_GCgen0size=0x2000000
# Metrics, health and the token issuer (the chart's metrics.port, healthPort and issuer.port defaults).
EXPOSE 8080 8081 8443
USER 65532:65532
ENTRYPOINT ["dotnet", "/app/sigil.dll"]
CMD ["run", "--leader-elect"]
