export { certificateFingerprint, formatFingerprint, normalizeFingerprint } from './fingerprint.js';
export {
  answerBody,
  DEFAULT_MAX_RESPONSE_BYTES,
  type HttpsJsonFailure,
  type HttpsJsonResult,
  type HttpsRequest,
  httpsJson,
  type OpenResult,
  openRequest,
  type ReadResult,
  readAnswer,
} from './https-json.js';
export {
  checkPinnedChain,
  fetchPinnedCa,
  PinMismatchError,
  PinnedAgent,
  type PinnedChainResult,
} from './pinned-chain.js';
export {
  type CertificateFileResult,
  derToPem,
  issuedBy,
  readCaFile,
  type TlsIdentity,
  tlsAgent,
  tlsOptions,
} from './x509.js';
