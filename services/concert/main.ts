import { bootStubService } from '../../lib/stub-service.js';

bootStubService('concert');
