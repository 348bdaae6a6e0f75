export {
  ADMISSION_API_VERSION,
  type AdmissionRequest,
  type AdmissionResponse,
  admissionLine,
  checkObject,
  reviewRequest,
} from './review.js';
export {
  type AdmissionServer,
  type AdmissionServerOptions,
  DEFAULT_ADMISSION_PATH,
  readServingCertificate,
  startAdmissionServer,
} from './server.js';
