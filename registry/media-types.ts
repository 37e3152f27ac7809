/** Media types meshwasm writes or reads. Names follow the OCI image spec and Solo's wasm image spec. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  wasmConfig: 'application/vnd.module.wasm.config.v1+json',
  wasmContentLayer: 'application/vnd.module.wasm.content.layer.v1+wasm',
} as const;

/** What we send in Accept when fetching a manifest: every single-image manifest we can read, and indexes to name them in errors. */
export const manifestAccept = [
  MediaType.ociManifest,
  MediaType.dockerManifest,
  MediaType.ociIndex,
  MediaType.dockerManifestList,
];

export const Annotation = {
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
  /** Solo's compat spec asks for this on OCI tar+gzip compat images. */
  wasmVariant: 'module.wasm.image/variant',
} as const;
