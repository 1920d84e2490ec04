import { bootStubService } from '../../lib/stub-service.js';

bootStubService('notification');
